package dev.scopeflow.schemas;

import static dev.scopeflow.schemas.ActivationBatchSchema.ACTIVATIONS;
import static dev.scopeflow.schemas.ActivationBatchSchema.DOC_ID;
import static dev.scopeflow.schemas.ActivationBatchSchema.POSITION;
import static dev.scopeflow.schemas.ActivationBatchSchema.TOKEN_ID;

import dev.scopeflow.schemas.format.HalfFloats;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Encodes an {@link ActivationBatch} as one Arrow IPC stream (schema message, one record batch,
 * end-of-stream marker; {@link ActivationBatchSchema} v1) and decodes it back.
 *
 * <p>F32 values round-trip exactly; BF16 values are narrowed with {@link HalfFloats#floatToBf16}, so
 * {@code decode(encode(b))} holds {@link HalfFloats#roundToBf16} of each input value. Batches with zero rows are legal
 * (a producer may flush an empty tail) and round-trip. Only the current IPC format (with the
 * {@code 0xFFFFFFFF} continuation marker, Arrow ≥ 0.15) is accepted.
 *
 * <p><b>Not thread-safe: confine an instance to one thread.</b> It owns an Arrow allocator and reuses
 * vectors between calls; in Flink create one per operator instance in {@code open()} and close it in
 * {@code close()}. Closing fails loudly if Arrow memory leaked.
 */
public final class ActivationBatchCodec implements AutoCloseable {

    /** Distinct (width, dtype) shapes whose vectors are kept for reuse; a job sees a handful at most. */
    private static final int MAX_CACHED_SHAPES = 8;
    /** Room for Arrow's own bookkeeping beyond the input bytes when decoding. */
    private static final long DECODE_ALLOCATION_SLACK = 1 << 20;

    private static final int CONTINUATION_MARKER = 0xFFFFFFFF;

    private final BufferAllocator allocator = new RootAllocator();
    private final Map<Shape, VectorSchemaRoot> roots = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Shape, VectorSchemaRoot> eldest) {
            if (size() > MAX_CACHED_SHAPES) {
                eldest.getValue().close();
                return true;
            }
            return false;
        }
    };

    private record Shape(int width, ActivationDtype dtype) {}

    /**
     * Creates a codec and proves Arrow works in this JVM by round-tripping a one-row batch: without
     * {@code --add-opens=java.base/java.nio=ALL-UNNAMED} Arrow fails on first use, and that must stop a job
     * at start-up rather than send every record to the dead-letter topic as "undecodable".
     */
    public ActivationBatchCodec() {
        ActivationBatch probe = new ActivationBatch(
                "probe",
                "probe",
                new Site(Site.Kind.RES, 0),
                1,
                ActivationDtype.F32,
                new long[] {0},
                new int[] {0},
                new int[] {0},
                new float[] {1f});
        try {
            if (!decode(encode(probe)).equals(probe)) {
                throw new IllegalStateException("Arrow round trip changed a batch");
            }
        } catch (RuntimeException | LinkageError e) {
            close();
            throw new IllegalStateException(
                    "Apache Arrow does not work in this JVM (start Java with "
                            + "--add-opens=java.base/java.nio=ALL-UNNAMED; on Flink set it in env.java.opts.all): " + e,
                    e);
        }
    }

    /** Writes {@code batch} as an Arrow IPC stream. */
    public byte[] encode(ActivationBatch batch) {
        Objects.requireNonNull(batch, "batch");
        int rows = batch.rows();
        VectorSchemaRoot root = roots.computeIfAbsent(
                new Shape(batch.width(), batch.dtype()),
                shape -> VectorSchemaRoot.create(
                        new Schema(ActivationBatchSchema.fields(shape.width(), shape.dtype())), allocator));
        try {
            fillIds(root, batch);
            switch (batch.dtype()) {
                case F32 -> fillF32((FixedSizeListVector) root.getVector(ACTIVATIONS), batch);
                case BF16 -> fillBf16((FixedSizeBinaryVector) root.getVector(ACTIVATIONS), batch);
            }
            root.setRowCount(rows);

            Schema schema = ActivationBatchSchema.schema(
                    batch.runId(), batch.modelId(), batch.site(), batch.width(), batch.dtype());
            int bodyEstimate = rows * batch.width() * batch.dtype().bytesPerValue() + rows * 24;
            ByteArrayOutputStream out = new ByteArrayOutputStream(bodyEstimate + 1024);
            WriteChannel channel = new WriteChannel(Channels.newChannel(out));
            MessageSerializer.serialize(channel, schema, IpcOption.DEFAULT);
            try (ArrowRecordBatch recordBatch = new VectorUnloader(root).getRecordBatch()) {
                MessageSerializer.serialize(channel, recordBatch, IpcOption.DEFAULT);
            }
            ArrowStreamWriter.writeEndOfStream(channel, IpcOption.DEFAULT);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        } finally {
            // Keep the vector objects, give their buffers back: an idle operator should not pin memory.
            root.clear();
        }
    }

    /**
     * Reads one batch written by {@link #encode} (or any writer following schema v1).
     *
     * @throws InvalidBatchException naming what is wrong when {@code bytes} is not a valid v1 batch
     */
    public ActivationBatch decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        checkStreamPrefix(bytes);
        // Bounding the allocator turns a corrupt length field into an error instead of a huge allocation.
        try (BufferAllocator decodeAllocator =
                        allocator.newChildAllocator("decode", 0, bytes.length + DECODE_ALLOCATION_SLACK);
                ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(bytes), decodeAllocator)) {
            VectorSchemaRoot root;
            try {
                root = reader.getVectorSchemaRoot();
            } catch (IOException | RuntimeException e) {
                throw new InvalidBatchException(
                        "not an Arrow IPC stream: cannot read the schema message (" + e.getMessage() + ")", e);
            }
            Header header = Header.parse(root.getSchema());
            FieldVector activations = checkColumns(root, header);
            try {
                if (!reader.loadNextBatch()) {
                    throw new InvalidBatchException("Arrow stream has a schema but no record batch");
                }
            } catch (IOException | RuntimeException e) {
                if (e instanceof InvalidBatchException invalid) {
                    throw invalid;
                }
                throw new InvalidBatchException("corrupt record batch (" + e.getMessage() + ")", e);
            }
            ActivationBatch batch = read(root, header, activations);
            try {
                if (reader.loadNextBatch()) {
                    throw new InvalidBatchException("Arrow stream holds more than one record batch; "
                            + "a ScopeFlow activation batch is exactly one");
                }
            } catch (IOException e) {
                throw new InvalidBatchException("corrupt data after the record batch (" + e.getMessage() + ")", e);
            }
            return batch;
        } catch (IOException e) {
            throw new UncheckedIOException("reading from memory cannot fail", e);
        }
    }

    /** Releases cached vectors and the allocator; throws if Arrow memory leaked. */
    @Override
    public void close() {
        for (Iterator<VectorSchemaRoot> it = roots.values().iterator(); it.hasNext(); ) {
            it.next().close();
            it.remove();
        }
        allocator.close();
    }

    private static void fillIds(VectorSchemaRoot root, ActivationBatch batch) {
        int rows = batch.rows();
        BigIntVector docIds = (BigIntVector) root.getVector(DOC_ID);
        IntVector positions = (IntVector) root.getVector(POSITION);
        IntVector tokenIds = (IntVector) root.getVector(TOKEN_ID);
        docIds.allocateNew(rows);
        positions.allocateNew(rows);
        tokenIds.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            docIds.set(i, batch.docId(i));
            positions.set(i, batch.position(i));
            tokenIds.set(i, batch.tokenId(i));
        }
        docIds.setValueCount(rows);
        positions.setValueCount(rows);
        tokenIds.setValueCount(rows);
    }

    private static void fillF32(FixedSizeListVector list, ActivationBatch batch) {
        int rows = batch.rows();
        int values = batch.values().length;
        list.setInitialCapacity(rows);
        list.allocateNew();
        Float4Vector items = (Float4Vector) list.getDataVector();
        if (items.getValueCapacity() < values) {
            items.allocateNew(values);
        }
        // Bulk copy instead of per-value set(): a 64 x 2304 batch is 147k values.
        littleEndian(items.getDataBuffer(), (long) values * Float.BYTES)
                .asFloatBuffer()
                .put(batch.values());
        setAllValid(items.getValidityBuffer(), values);
        items.setValueCount(values);
        for (int i = 0; i < rows; i++) {
            list.setNotNull(i);
        }
        list.setValueCount(rows);
    }

    private static void fillBf16(FixedSizeBinaryVector binary, ActivationBatch batch) {
        int rows = batch.rows();
        binary.allocateNew(rows);
        float[] values = batch.values();
        var bits =
                littleEndian(binary.getDataBuffer(), (long) values.length * 2).asShortBuffer();
        for (float value : values) {
            bits.put(HalfFloats.floatToBf16(value));
        }
        setAllValid(binary.getValidityBuffer(), rows);
        binary.setValueCount(rows);
    }

    private static ActivationBatch read(VectorSchemaRoot root, Header header, FieldVector activations) {
        int rows = root.getRowCount();
        int width = header.width();
        BigIntVector docIdVector = (BigIntVector) root.getVector(DOC_ID);
        IntVector positionVector = (IntVector) root.getVector(POSITION);
        IntVector tokenIdVector = (IntVector) root.getVector(TOKEN_ID);
        for (FieldVector vector : root.getFieldVectors()) {
            if (vector.getValueCount() != rows) {
                throw new InvalidBatchException("field " + vector.getName() + " has " + vector.getValueCount()
                        + " values but the record batch has " + rows + " rows");
            }
            checkNoNulls(vector, vector.getName());
        }
        long[] docIds = new long[rows];
        int[] positions = new int[rows];
        int[] tokenIds = new int[rows];
        for (int i = 0; i < rows; i++) {
            docIds[i] = docIdVector.get(i);
            positions[i] = positionVector.get(i);
            tokenIds[i] = tokenIdVector.get(i);
        }
        float[] values = new float[Math.multiplyExact(rows, width)];
        try {
            switch (header.dtype()) {
                case F32 -> {
                    Float4Vector items = (Float4Vector) ((FixedSizeListVector) activations).getDataVector();
                    if (items.getValueCount() < values.length) {
                        throw new InvalidBatchException("activations hold " + items.getValueCount()
                                + " floats, expected rows " + rows + " x width " + width);
                    }
                    checkNoNulls(items, ACTIVATIONS + "." + ActivationBatchSchema.ACTIVATION_ITEM);
                    littleEndian(items.getDataBuffer(), (long) values.length * Float.BYTES)
                            .asFloatBuffer()
                            .get(values);
                }
                case BF16 -> {
                    var bits = littleEndian(
                                    ((FixedSizeBinaryVector) activations).getDataBuffer(), (long) values.length * 2)
                            .asShortBuffer();
                    for (int i = 0; i < values.length; i++) {
                        values[i] = HalfFloats.bf16ToFloat(bits.get(i));
                    }
                }
            }
        } catch (IndexOutOfBoundsException e) {
            throw new InvalidBatchException(
                    "activations buffer is shorter than rows " + rows + " x width " + width + " (" + e.getMessage()
                            + ")",
                    e);
        }
        try {
            return new ActivationBatch(
                    header.runId(),
                    header.modelId(),
                    header.site(),
                    width,
                    header.dtype(),
                    docIds,
                    positions,
                    tokenIds,
                    values);
        } catch (IllegalArgumentException e) {
            throw new InvalidBatchException("inconsistent batch: " + e.getMessage(), e);
        }
    }

    /** Checks the four columns against the header before any data is loaded; returns the activations. */
    private static FieldVector checkColumns(VectorSchemaRoot root, Header header) {
        requireColumn(root, DOC_ID, BigIntVector.class, "Int64");
        requireColumn(root, POSITION, IntVector.class, "Int32");
        requireColumn(root, TOKEN_ID, IntVector.class, "Int32");
        FieldVector activations = root.getVector(ACTIVATIONS);
        if (activations == null) {
            throw new InvalidBatchException("missing field " + ACTIVATIONS);
        }
        switch (header.dtype()) {
            case F32 -> {
                if (!(activations instanceof FixedSizeListVector list)
                        || !(list.getDataVector() instanceof Float4Vector)) {
                    throw new InvalidBatchException("field " + ACTIVATIONS + " is "
                            + activations.getField().getType()
                            + (activations instanceof FixedSizeListVector
                                    ? " of " + activations.getField().getChildren()
                                    : "")
                            + " but dtype f32 needs FixedSizeList<" + header.width() + "> of Float32");
                }
                if (list.getListSize() != header.width()) {
                    throw new InvalidBatchException("metadata " + ActivationBatchSchema.KEY_WIDTH + "="
                            + header.width() + " but field " + ACTIVATIONS + " is a fixed-size list of "
                            + list.getListSize());
                }
            }
            case BF16 -> {
                if (!(activations instanceof FixedSizeBinaryVector binary)) {
                    throw new InvalidBatchException("field " + ACTIVATIONS + " is "
                            + activations.getField().getType() + " but dtype bf16 needs FixedSizeBinary("
                            + 2L * header.width() + ")");
                }
                if (binary.getByteWidth() != 2L * header.width()) {
                    throw new InvalidBatchException("metadata " + ActivationBatchSchema.KEY_WIDTH + "="
                            + header.width() + " but field " + ACTIVATIONS + " is FixedSizeBinary("
                            + binary.getByteWidth() + "), expected " + 2L * header.width() + " bytes (bf16)");
                }
            }
        }
        return activations;
    }

    private static void requireColumn(VectorSchemaRoot root, String name, Class<?> vectorClass, String typeName) {
        FieldVector vector = root.getVector(name);
        if (vector == null) {
            throw new InvalidBatchException("missing field " + name);
        }
        if (!vectorClass.isInstance(vector)) {
            throw new InvalidBatchException(
                    "field " + name + " is " + vector.getField().getType() + ", expected " + typeName);
        }
    }

    private static void checkNoNulls(FieldVector vector, String name) {
        int nulls = vector.getNullCount();
        if (nulls > 0) {
            throw new InvalidBatchException(
                    "field " + name + " has " + nulls + " null values; " + "activation batches allow none");
        }
    }

    /** Rejects non-Arrow bytes before Arrow reads a length prefix and tries to allocate it. */
    private static void checkStreamPrefix(byte[] bytes) {
        if (bytes.length < 8) {
            throw new InvalidBatchException("not an Arrow IPC stream: only " + bytes.length + " bytes");
        }
        ByteBuffer prefix = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
        int marker = prefix.getInt();
        int metadataLength = prefix.getInt();
        if (marker != CONTINUATION_MARKER) {
            throw new InvalidBatchException(String.format(
                    "not an Arrow IPC stream: starts with 0x%08x, expected continuation marker 0xffffffff", marker));
        }
        if (metadataLength <= 0 || metadataLength > bytes.length - 8) {
            throw new InvalidBatchException("not an Arrow IPC stream: schema message length " + metadataLength
                    + " does not fit in " + bytes.length + " bytes");
        }
    }

    private static ByteBuffer littleEndian(ArrowBuf buffer, long length) {
        if (length > buffer.capacity()) {
            throw new IndexOutOfBoundsException("need " + length + " bytes, buffer holds " + buffer.capacity());
        }
        return buffer.nioBuffer(0, Math.toIntExact(length)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Marks the first {@code count} slots valid, leaving the padding bits of the last byte zero. */
    private static void setAllValid(ArrowBuf validity, int count) {
        int fullBytes = count / 8;
        validity.setOne(0, fullBytes);
        int rest = count % 8;
        if (rest != 0) {
            validity.setByte(fullBytes, (1 << rest) - 1);
        }
    }

    /** Batch-level metadata, validated. */
    private record Header(String runId, String modelId, Site site, int width, ActivationDtype dtype) {

        static Header parse(Schema schema) {
            Map<String, String> metadata = schema.getCustomMetadata();
            String version = require(metadata, ActivationBatchSchema.KEY_SCHEMA_VERSION);
            if (!version.equals(Integer.toString(ActivationBatchSchema.VERSION))) {
                throw new InvalidBatchException("unknown schema version " + ActivationBatchSchema.KEY_SCHEMA_VERSION
                        + "='" + version + "' (this reader understands " + ActivationBatchSchema.VERSION + ")");
            }
            String runId = require(metadata, ActivationBatchSchema.KEY_RUN_ID);
            String modelId = require(metadata, ActivationBatchSchema.KEY_MODEL_ID);
            String kind = require(metadata, ActivationBatchSchema.KEY_SITE_KIND);
            String layer = require(metadata, ActivationBatchSchema.KEY_SITE_LAYER);
            Site site;
            try {
                site = Site.parse(kind + "." + layer);
            } catch (IllegalArgumentException e) {
                throw new InvalidBatchException("bad site in metadata: " + e.getMessage(), e);
            }
            String widthText = require(metadata, ActivationBatchSchema.KEY_WIDTH);
            int width;
            try {
                width = Integer.parseInt(widthText);
            } catch (NumberFormatException e) {
                width = -1;
            }
            if (width <= 0) {
                throw new InvalidBatchException("metadata " + ActivationBatchSchema.KEY_WIDTH + "='" + widthText
                        + "' is not a positive integer");
            }
            String dtypeText = require(metadata, ActivationBatchSchema.KEY_DTYPE);
            ActivationDtype dtype;
            try {
                dtype = ActivationDtype.fromCode(dtypeText);
            } catch (IllegalArgumentException e) {
                throw new InvalidBatchException(
                        "metadata " + ActivationBatchSchema.KEY_DTYPE + ": " + e.getMessage(), e);
            }
            return new Header(runId, modelId, site, width, dtype);
        }

        private static String require(Map<String, String> metadata, String key) {
            String value = metadata == null ? null : metadata.get(key);
            if (value == null) {
                throw new InvalidBatchException("missing schema metadata key " + key
                        + (key.equals(ActivationBatchSchema.KEY_SCHEMA_VERSION)
                                ? " (not a ScopeFlow activation batch?)"
                                : ""));
            }
            return value;
        }
    }
}
