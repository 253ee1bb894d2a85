package dev.scopeflow.producers.stream;

import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.RunId;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * An activation array someone already has (capture's layout, {@link ActivationArrayFiles}) as a run, without a
 * model: sequence {@code i} is document {@code i}, index {@code p} in it is position {@code p}. Each sequence with a
 * real position yields its document window (its token list; an empty list without a tokens file) and then its real
 * positions as activation batches of at most {@code maxRecordBytes} of values, as produce sizes them; a batch never
 * spans two documents.
 *
 * <p>Positions that are not real (mask 0, past the token list) are not published at all, rather than published
 * with the pad token: then no statistic can count them whatever token filter a job uses, and neither Kafka nor the
 * job spends anything on them. Without a tokens file the token ids are unknown and every row carries
 * {@link #UNKNOWN_TOKEN}, which no token filter excludes: leaving out BOS or padding then takes a mask.
 */
public final class ActivationArrayProducer {

    /** The token id of a row whose token is not known (no tokens file): not a token, and never excluded. */
    public static final int UNKNOWN_TOKEN = -1;

    /** Run settings; {@link #of} fills the defaults (bf16, produce's record size). */
    public record Settings(String runId, String modelId, Site site, ActivationDtype dtype, int maxRecordBytes) {
        public Settings {
            RunId.validate(runId);
            Objects.requireNonNull(modelId, "modelId");
            Objects.requireNonNull(site, "site");
            Objects.requireNonNull(dtype, "dtype");
            if (maxRecordBytes <= 0) {
                throw new IllegalArgumentException("maxRecordBytes must be > 0, got " + maxRecordBytes);
            }
        }

        public static Settings of(String runId, String modelId, Site site) {
            return new Settings(runId, modelId, site, ActivationDtype.BF16, CorpusProducer.DEFAULT_MAX_RECORD_BYTES);
        }

        public Settings withDtype(ActivationDtype d) {
            return new Settings(runId, modelId, site, d, maxRecordBytes);
        }

        public Settings withMaxRecordBytes(int n) {
            return new Settings(runId, modelId, site, dtype, n);
        }
    }

    /** What was published: documents (sequences with a real position), tokens (real positions), batches. */
    public record Report(long documents, long tokens, long activationBatches, double seconds) {
        public double tokensPerSecond() {
            return seconds > 0 ? tokens / seconds : 0;
        }
    }

    private ActivationArrayProducer() {}

    public static Report run(
            ActivationArrayFiles input,
            Settings settings,
            Consumer<ActivationBatch> activations,
            Consumer<DocumentWindow> documents) {
        long start = System.nanoTime();
        int width = input.width();
        int rowsPerBatch = CorpusProducer.rowsPerRecord(settings.maxRecordBytes(), width, settings.dtype());
        long documentCount = 0;
        long tokens = 0;
        long batches = 0;
        int[] real = new int[input.seqLen()];
        for (int seq = 0; seq < input.sequences(); seq++) {
            int n = 0;
            for (int p = 0; p < input.seqLen(); p++) {
                if (input.isReal(seq, p)) {
                    real[n++] = p;
                }
            }
            if (n == 0) {
                continue;
            }
            // The window goes out before its activations, as produce sends it: a run's first record is a document.
            int[] tokenIds = input.hasTokens() ? input.tokens(seq) : new int[0];
            documents.accept(new DocumentWindow(settings.runId(), seq, 0, 0, tokenIds, null, null, false));
            documentCount++;
            for (int first = 0; first < n; first += rowsPerBatch) {
                int rows = Math.min(rowsPerBatch, n - first);
                activations.accept(batch(input, settings, seq, Arrays.copyOfRange(real, first, first + rows)));
                batches++;
            }
            tokens += n;
        }
        return new Report(documentCount, tokens, batches, (System.nanoTime() - start) / 1e9);
    }

    private static ActivationBatch batch(ActivationArrayFiles input, Settings settings, int seq, int[] positions) {
        int width = input.width();
        int rows = positions.length;
        long[] docIds = new long[rows];
        int[] tokenIds = new int[rows];
        float[] values = new float[rows * width];
        float[] all = input.values();
        Arrays.fill(docIds, seq);
        for (int r = 0; r < rows; r++) {
            tokenIds[r] = input.hasTokens() ? input.tokens(seq)[positions[r]] : UNKNOWN_TOKEN;
            int from = (seq * input.seqLen() + positions[r]) * width;
            for (int d = 0; d < width; d++) {
                values[r * width + d] = CorpusProducer.onTheWire(all[from + d], settings.dtype());
            }
        }
        return new ActivationBatch(
                settings.runId(),
                settings.modelId(),
                settings.site(),
                width,
                settings.dtype(),
                docIds,
                positions,
                tokenIds,
                values);
    }
}
