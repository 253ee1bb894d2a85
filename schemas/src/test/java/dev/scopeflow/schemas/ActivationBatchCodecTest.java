package dev.scopeflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.schemas.format.HalfFloats;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ActivationBatchCodecTest {

    private static final Site SITE = Site.parse("res.20");

    private final ActivationBatchCodec codec = new ActivationBatchCodec();
    private final BufferAllocator testAllocator = new RootAllocator();

    @AfterEach
    void closeAndCheckForLeaks() {
        codec.close();
        testAllocator.close();
    }

    private static ActivationBatch randomBatch(int rows, int width, ActivationDtype dtype, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] docIds = new long[rows];
        int[] positions = new int[rows];
        int[] tokenIds = new int[rows];
        float[] values = new float[rows * width];
        for (int i = 0; i < rows; i++) {
            docIds[i] = random.nextLong();
            positions[i] = random.nextInt(8192);
            tokenIds[i] = random.nextInt(256_000);
        }
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * 10);
        }
        if (values.length > 3) {
            values[0] = Float.NaN;
            values[1] = Float.NEGATIVE_INFINITY;
            values[2] = -0f;
        }
        return new ActivationBatch(
                "run-ü/1", "google/gemma-2-2b", SITE, width, dtype, docIds, positions, tokenIds, values);
    }

    @ParameterizedTest
    @CsvSource({"0,1", "1,1", "1,7", "33,7", "33,2304", "0,2304", "1,2304"})
    void f32RoundTripsExactly(int rows, int width) {
        ActivationBatch batch = randomBatch(rows, width, ActivationDtype.F32, rows * 31L + width);

        ActivationBatch decoded = codec.decode(codec.encode(batch));

        assertThat(decoded).isEqualTo(batch);
        assertThat(decoded.runId()).isEqualTo("run-ü/1");
        assertThat(decoded.site()).isEqualTo(SITE);
    }

    @ParameterizedTest
    @CsvSource({"0,1", "1,1", "1,7", "33,7", "33,2304", "0,2304", "1,2304"})
    void bf16RoundTripsToRoundedValues(int rows, int width) {
        ActivationBatch batch = randomBatch(rows, width, ActivationDtype.BF16, rows * 17L + width);

        ActivationBatch decoded = codec.decode(codec.encode(batch));

        float[] expected = batch.values().clone();
        for (int i = 0; i < expected.length; i++) {
            expected[i] = HalfFloats.roundToBf16(expected[i]);
        }
        assertThat(decoded.values()).containsExactly(expected);
        assertThat(decoded.docIds()).containsExactly(batch.docIds());
        assertThat(decoded.positions()).containsExactly(batch.positions());
        assertThat(decoded.tokenIds()).containsExactly(batch.tokenIds());
        assertThat(decoded.dtype()).isEqualTo(ActivationDtype.BF16);
        assertThat(decoded.width()).isEqualTo(width);
        // Rounded input is a fixed point.
        assertThat(codec.decode(codec.encode(decoded))).isEqualTo(decoded);
    }

    @Test
    void wireSizeIsAboutBytesPerValue() {
        int rows = 33;
        int width = 2304;
        int bf16 = codec.encode(randomBatch(rows, width, ActivationDtype.BF16, 1)).length;
        int f32 = codec.encode(randomBatch(rows, width, ActivationDtype.F32, 1)).length;
        int idsAndSchema = rows * 16 + 2048;

        assertThat(bf16).isBetween(rows * width * 2, rows * width * 2 + idsAndSchema);
        // f32 also carries the list child's validity bitmap (1 bit per value).
        assertThat(f32).isBetween(rows * width * 4, rows * width * 4 + rows * width / 8 + idsAndSchema);
    }

    @Test
    void writesDocumentedSchemaAndMetadata() throws IOException {
        byte[] bytes = codec.encode(randomBatch(3, 7, ActivationDtype.BF16, 2));
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(bytes), testAllocator)) {
            Schema schema = reader.getVectorSchemaRoot().getSchema();
            assertThat(schema.getCustomMetadata())
                    .containsExactlyInAnyOrderEntriesOf(Map.of(
                            "scopeflow.schema_version", "1",
                            "scopeflow.run_id", "run-ü/1",
                            "scopeflow.model_id", "google/gemma-2-2b",
                            "scopeflow.site_kind", "res",
                            "scopeflow.site_layer", "20",
                            "scopeflow.width", "7",
                            "scopeflow.dtype", "bf16"));
            assertThat(schema.getFields())
                    .extracting(Field::getName)
                    .containsExactly("doc_id", "position", "token_id", "activations");
            Field activations = schema.findField("activations");
            assertThat(activations.getType()).isEqualTo(new ArrowType.FixedSizeBinary(14));
            assertThat(activations.getMetadata()).containsEntry("scopeflow.dtype", "bf16");
            assertThat(schema.getFields()).noneMatch(Field::isNullable);
            assertThat(reader.loadNextBatch()).isTrue();
            assertThat(reader.getVectorSchemaRoot().getRowCount()).isEqualTo(3);
            assertThat(reader.loadNextBatch()).isFalse();
        }
    }

    @Test
    void f32ActivationsAreAFixedSizeListOfFloat32() {
        Schema schema = ActivationBatchSchema.schema("r", "m", SITE, 5, ActivationDtype.F32);
        Field activations = schema.findField("activations");
        assertThat(activations.getType()).isEqualTo(new ArrowType.FixedSizeList(5));
        assertThat(activations.getChildren())
                .singleElement()
                .satisfies(item -> assertThat(item.getType())
                        .isEqualTo(new ArrowType.FloatingPoint(
                                org.apache.arrow.vector.types.FloatingPointPrecision.SINGLE)));
    }

    @Test
    void reusesVectorsAcrossShapesWithoutLeaking() {
        for (int i = 0; i < 40; i++) {
            int width = 1 + (i % 11);
            ActivationDtype dtype = i % 2 == 0 ? ActivationDtype.F32 : ActivationDtype.BF16;
            ActivationBatch batch = randomBatch(i % 5, width, dtype, i);
            ActivationBatch decoded = codec.decode(codec.encode(batch));
            assertThat(decoded.rows()).isEqualTo(batch.rows());
            assertThat(decoded.width()).isEqualTo(width);
        }
        // closeAndCheckForLeaks() fails if any buffer is still held.
    }

    // ---- invalid input ------------------------------------------------------------------------------------

    @Test
    void rejectsBytesThatAreNotArrow() {
        assertInvalid(new byte[0], "not an Arrow IPC stream");
        assertInvalid("hello, world".getBytes(), "not an Arrow IPC stream");
        byte[] markerThenGarbage = new byte[64];
        Arrays.fill(markerThenGarbage, (byte) 0x5A);
        markerThenGarbage[0] = markerThenGarbage[1] = markerThenGarbage[2] = markerThenGarbage[3] = (byte) 0xFF;
        markerThenGarbage[4] = 40;
        markerThenGarbage[5] = markerThenGarbage[6] = markerThenGarbage[7] = 0;
        assertInvalid(markerThenGarbage, "not an Arrow IPC stream");
    }

    @Test
    void rejectsUnknownSchemaVersion() {
        assertInvalid(
                withMetadata(valid(ActivationDtype.F32), "scopeflow.schema_version", "2"),
                "unknown schema version",
                "'2'");
    }

    @Test
    void rejectsStreamsWithoutScopeFlowMetadata() {
        assertInvalid(
                withMetadata(valid(ActivationDtype.F32), "scopeflow.schema_version", null),
                "missing schema metadata key scopeflow.schema_version");
        assertInvalid(
                withMetadata(valid(ActivationDtype.F32), "scopeflow.run_id", null),
                "missing schema metadata key scopeflow.run_id");
    }

    @Test
    void rejectsUnknownDtype() {
        assertInvalid(withMetadata(valid(ActivationDtype.F32), "scopeflow.dtype", "f16"), "dtype", "f16");
    }

    @Test
    void rejectsBadSite() {
        assertInvalid(withMetadata(valid(ActivationDtype.F32), "scopeflow.site_kind", "embed"), "bad site");
    }

    @Test
    void rejectsWidthThatDisagreesWithTheColumn() {
        assertInvalid(
                withMetadata(valid(ActivationDtype.F32), "scopeflow.width", "8"),
                "scopeflow.width=8",
                "fixed-size list of 7");
        assertInvalid(
                withMetadata(valid(ActivationDtype.BF16), "scopeflow.width", "8"),
                "scopeflow.width=8",
                "FixedSizeBinary(14)");
        assertInvalid(withMetadata(valid(ActivationDtype.BF16), "scopeflow.width", "seven"), "not a positive integer");
    }

    @Test
    void rejectsActivationsOfTheWrongTypeForTheDtype() {
        assertInvalid(
                withMetadata(valid(ActivationDtype.BF16), "scopeflow.dtype", "f32"),
                "dtype f32 needs FixedSizeList<7> of Float32");
        assertInvalid(
                withMetadata(valid(ActivationDtype.F32), "scopeflow.dtype", "bf16"),
                "dtype bf16 needs FixedSizeBinary(14)");
    }

    @Test
    void rejectsMissingField() {
        for (String name : List.of("doc_id", "position", "token_id", "activations")) {
            assertInvalid(rewrite(valid(ActivationDtype.F32), root -> {}, name), "missing field " + name);
        }
    }

    @Test
    void rejectsNullValues() {
        assertInvalid(
                rewrite(valid(ActivationDtype.F32), root -> ((BigIntVector) root.getVector("doc_id")).setNull(1), null),
                "field doc_id has 1 null values");
        assertInvalid(
                rewrite(
                        valid(ActivationDtype.F32),
                        root -> ((FixedSizeListVector) root.getVector("activations")).setNull(0),
                        null),
                "field activations has 1 null values");
        assertInvalid(
                rewrite(
                        valid(ActivationDtype.F32),
                        root -> ((FixedSizeListVector) root.getVector("activations"))
                                .getDataVector()
                                .setNull(3),
                        null),
                "field activations.item has 1 null values");
        assertInvalid(
                rewrite(
                        valid(ActivationDtype.BF16),
                        root -> ((FixedSizeBinaryVector) root.getVector("activations")).setNull(2),
                        null),
                "field activations has 1 null values");
    }

    @Test
    void rejectsTruncatedAndSchemaOnlyStreams() {
        byte[] valid = valid(ActivationDtype.F32);
        assertInvalid(Arrays.copyOf(valid, valid.length - 60), "record batch");
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(valid), testAllocator)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ArrowStreamWriter writer = new ArrowStreamWriter(reader.getVectorSchemaRoot(), null, out)) {
                writer.start();
                writer.end();
            }
            assertInvalid(out.toByteArray(), "no record batch");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void rejectsTwoRecordBatches() throws IOException {
        byte[] valid = valid(ActivationDtype.F32);
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(valid), testAllocator)) {
            reader.loadNextBatch();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ArrowStreamWriter writer = new ArrowStreamWriter(reader.getVectorSchemaRoot(), null, out)) {
                writer.writeBatch();
                writer.writeBatch();
                writer.end();
            }
            assertInvalid(out.toByteArray(), "more than one record batch");
        }
    }

    private byte[] valid(ActivationDtype dtype) {
        return codec.encode(randomBatch(4, 7, dtype, 99));
    }

    private void assertInvalid(byte[] bytes, String... messageParts) {
        assertThatThrownBy(() -> codec.decode(bytes))
                .isInstanceOf(InvalidBatchException.class)
                .hasMessageContainingAll(messageParts);
    }

    /** Re-writes a valid stream with one metadata key changed ({@code null} removes it). */
    private byte[] withMetadata(byte[] valid, String key, String value) {
        return rewrite(valid, root -> {}, null, metadata -> {
            if (value == null) {
                metadata.remove(key);
            } else {
                metadata.put(key, value);
            }
        });
    }

    private byte[] rewrite(byte[] valid, Consumer<VectorSchemaRoot> editData, String dropField) {
        return rewrite(valid, editData, dropField, metadata -> {});
    }

    /** Reads a valid stream, edits data / fields / metadata, writes it again with plain Arrow. */
    private byte[] rewrite(
            byte[] valid,
            Consumer<VectorSchemaRoot> editData,
            String dropField,
            Consumer<Map<String, String>> editMetadata) {
        try (ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(valid), testAllocator)) {
            reader.loadNextBatch();
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            editData.accept(root);
            List<FieldVector> vectors = new ArrayList<>();
            List<Field> fields = new ArrayList<>();
            for (FieldVector vector : root.getFieldVectors()) {
                if (!vector.getName().equals(dropField)) {
                    vectors.add(vector);
                    fields.add(vector.getField());
                }
            }
            Map<String, String> metadata = new LinkedHashMap<>(root.getSchema().getCustomMetadata());
            editMetadata.accept(metadata);
            VectorSchemaRoot edited = new VectorSchemaRoot(new Schema(fields, metadata), vectors, root.getRowCount());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ArrowStreamWriter writer = new ArrowStreamWriter(edited, null, out)) {
                writer.writeBatch();
                writer.end();
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
