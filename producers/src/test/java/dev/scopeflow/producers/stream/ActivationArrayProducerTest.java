package dev.scopeflow.producers.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import dev.scopeflow.schemas.format.HalfFloats;
import dev.scopeflow.schemas.format.NpyWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scopeflow publish} without Kafka: the published rows are exactly the real positions of the array (mask 1,
 * inside the token list), with their values, token ids and document windows, in batches of one document each.
 * Expected rows are computed here from the raw arrays, not through {@link ActivationArrayFiles}. Checked to fail with
 * the mask switched off (ActivationArrayFiles.applyMask's {@code real[t] &= ...} removed): the masked rows appear.
 */
class ActivationArrayProducerTest {

    private static final int N_SEQ = 4;
    private static final int SEQ_LEN = 9;
    private static final int WIDTH = 5;
    private static final Site SITE = Site.parse("res.3");

    @TempDir
    Path dir;

    @Test
    void publishesExactlyTheRealPositionsWithTheirTokensAndValues() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        float[] values = new float[N_SEQ * SEQ_LEN * WIDTH];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 4 - 2);
        }
        long[] mask = new long[N_SEQ * SEQ_LEN];
        for (int t = 0; t < mask.length; t++) {
            mask[t] = random.nextInt(4) == 0 ? 0 : 1;
        }
        int[][] tokens = {{2, 11, 12, 13, 14, 15, 16, 17, 18}, {2, 21, 22}, {}, {2, 41, 42, 43, 44, 45}};
        Path files = write(values, mask, tokens);

        List<ActivationBatch> batches = new ArrayList<>();
        List<Object> records = new ArrayList<>();
        ActivationArrayProducer.Report report = ActivationArrayProducer.run(
                ActivationArrayFiles.read(
                        files.resolve("res.3.npy"), files.resolve("attention_mask.npy"), files.resolve("tokens.json")),
                ActivationArrayProducer.Settings.of("arr", "m", SITE).withMaxRecordBytes(3 * WIDTH * 2),
                batch -> {
                    batches.add(batch);
                    records.add(batch);
                },
                records::add);

        List<String> expected = new ArrayList<>();
        List<String> published = new ArrayList<>();
        for (int s = 0; s < N_SEQ; s++) {
            for (int p = 0; p < tokens[s].length; p++) {
                if (mask[s * SEQ_LEN + p] == 1) {
                    float[] row = new float[WIDTH];
                    for (int d = 0; d < WIDTH; d++) {
                        row[d] = HalfFloats.roundToBf16(values[(s * SEQ_LEN + p) * WIDTH + d]);
                    }
                    expected.add(s + ":" + p + ":" + tokens[s][p] + ":" + Arrays.toString(row));
                }
            }
        }
        for (ActivationBatch b : batches) {
            assertThat(b.rows()).isBetween(1, 3); // 3 bf16 rows per record
            assertThat(b.dtype()).isEqualTo(ActivationDtype.BF16);
            assertThat(b.site()).isEqualTo(SITE);
            for (int r = 0; r < b.rows(); r++) {
                assertThat(b.docId(r)).as("a batch never spans two documents").isEqualTo(b.docId(0));
                float[] row = Arrays.copyOfRange(b.values(), r * WIDTH, (r + 1) * WIDTH);
                published.add(b.docId(r) + ":" + b.position(r) + ":" + b.tokenId(r) + ":" + Arrays.toString(row));
            }
        }
        assertThat(published).containsExactlyElementsOf(expected);
        assertThat(report.tokens()).isEqualTo(expected.size());
        assertThat(report.activationBatches()).isEqualTo(batches.size());

        // one window per document that has a real position, with its whole token list, before its activations
        List<Long> seen = new ArrayList<>();
        for (Object record : records) {
            if (record instanceof DocumentWindow w) {
                assertThat(w.tokenIds()).containsExactly(tokens[(int) w.docId()]);
                assertThat(w.runId()).isEqualTo("arr");
                seen.add(w.docId());
            } else {
                assertThat(seen).contains(((ActivationBatch) record).docId(0));
            }
        }
        List<Long> withRealPositions = expected.stream()
                .map(e -> Long.parseLong(e.substring(0, e.indexOf(':'))))
                .distinct()
                .toList();
        assertThat(seen).containsExactlyElementsOf(withRealPositions);
        assertThat(report.documents()).isEqualTo(withRealPositions.size());
    }

    @Test
    void withoutTokensEveryPositionIsPublishedWithTheUnknownTokenAndExactF32Values() throws Exception {
        float[] values = new float[N_SEQ * SEQ_LEN * WIDTH];
        for (int i = 0; i < values.length; i++) {
            values[i] = 1f / (i + 3); // not representable in bf16
        }
        Path files = write(values, null, null);
        List<ActivationBatch> batches = new ArrayList<>();
        List<DocumentWindow> windows = new ArrayList<>();
        ActivationArrayProducer.run(
                ActivationArrayFiles.read(files.resolve("res.3.npy"), null, null),
                ActivationArrayProducer.Settings.of("arr", "m", SITE).withDtype(ActivationDtype.F32),
                batches::add,
                windows::add);

        assertThat(batches).hasSize(N_SEQ); // the default record size holds a whole sequence
        for (int s = 0; s < N_SEQ; s++) {
            ActivationBatch b = batches.get(s);
            assertThat(b.docIds()).containsOnly(s);
            assertThat(b.positions()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8);
            assertThat(b.tokenIds()).containsOnly(ActivationArrayProducer.UNKNOWN_TOKEN);
            assertThat(b.values())
                    .containsExactly(Arrays.copyOfRange(values, s * SEQ_LEN * WIDTH, (s + 1) * SEQ_LEN * WIDTH));
            assertThat(windows.get(s).tokenIds()).isEmpty();
        }
    }

    private Path write(float[] values, long[] mask, int[][] tokens) throws Exception {
        Path files = Files.createDirectories(dir.resolve("capture"));
        NpyWriter.writeFloat32(files.resolve("res.3.npy"), values, N_SEQ, SEQ_LEN, WIDTH);
        if (mask != null) {
            try (NpyWriter w = NpyWriter.int64(files.resolve("attention_mask.npy"), N_SEQ, SEQ_LEN)) {
                for (long m : mask) {
                    w.write(m);
                }
            }
        }
        if (tokens != null) {
            StringBuilder json = new StringBuilder("[");
            for (int s = 0; s < tokens.length; s++) {
                json.append(s == 0 ? "" : ",").append(Arrays.toString(tokens[s]));
            }
            Files.writeString(files.resolve("tokens.json"), json.append("]"));
        }
        return files;
    }
}
