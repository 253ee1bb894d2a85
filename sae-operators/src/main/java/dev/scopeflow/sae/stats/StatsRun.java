package dev.scopeflow.sae.stats;

import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.model.SaeFormatException;
import dev.scopeflow.sae.model.SaeLoader;
import dev.scopeflow.sae.model.SparseAutoencoder;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.GemmaTokens;
import dev.scopeflow.schemas.NonFiniteValue;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import dev.scopeflow.schemas.results.SaeSummary;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The batch statistics behind {@code scopeflow stats}: one SAE over an activation array
 * {@code [n_seq, seq_len, d_in]} (as {@code scopeflow capture} writes it), writing the public contract for
 * checking these numbers:
 * <ul>
 *   <li>{@code features.csv}: {@code feature,fire_count,density,sum,max,mean_when_firing}, one row per feature
 *       (dead ones included), density = fire_count / n_tokens;</li>
 *   <li>{@code top_examples.csv}: {@code feature,rank,doc,pos,activation}, rank 1 = highest activation (ties: lower
 *       doc, then lower pos), doc = sequence index, pos = position in it;</li>
 *   <li>{@code histograms.csv}: {@code feature,bin,lower_edge,upper_edge,count}, the non-empty bins of
 *       {@link ActivationHistogram} for each feature that fired (the job's {@code feature_histograms} rows);</li>
 *   <li>{@code interval_samples.csv}: {@code feature,interval_index,lower_edge,upper_edge,sample_rank,doc,pos,
 *       activation}, the {@link IntervalSamples} of each feature that fired, rank 1 = highest activation (the
 *       job's {@code interval_samples} rows); the overflow bin's and interval's upper edge is {@code Infinity};</li>
 *   <li>{@code summary.json}: {@code n_tokens, l0, mse, mse_per_token, fvu, explained_variance, cosine,
 *       l2_ratio, relative_reconstruction_bias, dead, dense, frac_alive} (null where undefined, e.g. no tokens;
 *       see {@link ReconstructionStats} for each).</li>
 * </ul>
 * A token counts when it is real ({@link ActivationArrayFiles}: mask 1, inside its token list) and, with
 * {@code excludeBos}, when its id
 * is not BOS (Gemma 2: 2). A NaN or ±Infinity in a counted token's activations is an error naming the file,
 * sequence, position and dimension (nothing is written). Numbers are written in Java's shortest round-trip form.
 */
public final class StatsRun {

    /** What was computed and written. */
    public record Result(long tokens, SaeStatistics statistics, SaeSummary summary, List<Path> files) {}

    private StatsRun() {}

    public static Result run(Request request) throws IOException {
        ActivationArrayFiles input = ActivationArrayFiles.read(request.activations, request.mask, request.tokens);
        int nSeq = input.sequences();
        int seqLen = input.seqLen();
        int dIn = input.width();
        boolean[] counts = countedTokens(input, request.excludeBos);
        try (SparseAutoencoder sae = SaeLoader.load(request.sae, request.backend, request.device)) {
            if (sae.dIn() != dIn) {
                throw new SaeFormatException(request.activations + ": width " + dIn + " does not match the SAE's d_in "
                        + sae.dIn() + " (" + request.sae + ")");
            }
            SaeStatistics stats = new SaeStatistics(sae.dSae(), dIn, request.topK);
            float[] data = input.values();
            float[] x = new float[seqLen * dIn];
            long[] docs = new long[seqLen];
            int[] positions = new int[seqLen];
            // One batch per sequence, as the producers publish a sequence's tokens as one record: the streaming
            // job then merges the same per-batch reconstruction statistics in the same order, bit for bit.
            for (int seq = 0; seq < nSeq; seq++) {
                int rows = 0;
                for (int pos = 0; pos < seqLen; pos++) {
                    int token = seq * seqLen + pos;
                    if (!counts[token]) continue;
                    System.arraycopy(data, token * dIn, x, rows * dIn, dIn);
                    docs[rows] = seq;
                    positions[rows] = pos;
                    rows++;
                }
                if (rows > 0) {
                    requireFinite(request.activations, x, rows, dIn, seq, positions);
                    float[] batch = Arrays.copyOf(x, rows * dIn);
                    SparseCodes codes = sae.encode(batch, rows);
                    stats.addReconstructed(
                            batch, sae.decode(codes), codes, Arrays.copyOf(docs, rows), Arrays.copyOf(positions, rows));
                }
            }
            SaeSummary summary = stats.features().summary(request.denseThreshold);
            Files.createDirectories(request.out);
            List<Path> files = List.of(
                    writeFeatures(request.out.resolve("features.csv"), stats.features()),
                    writeTopExamples(request.out.resolve("top_examples.csv"), stats.topExamples()),
                    writeHistograms(request.out.resolve("histograms.csv"), stats),
                    writeIntervalSamples(request.out.resolve("interval_samples.csv"), stats),
                    writeSummary(request.out.resolve("summary.json"), summary, stats.reconstruction()));
            return new Result(stats.tokens(), stats, summary, files);
        }
    }

    /**
     * A NaN would make the reconstruction sums NaN (written as {@code null}) and an Infinity fails inside the
     * encoder with no file or position, so counted tokens are checked first and the error says where.
     */
    private static void requireFinite(Path file, float[] x, int rows, int dIn, int seq, int[] positions)
            throws SaeFormatException {
        Optional<NonFiniteValue> bad = NonFiniteValue.first(x, 0, rows, dIn);
        if (bad.isPresent()) {
            throw new SaeFormatException(file + ": activation " + bad.get().value() + " at sequence " + seq
                    + ", position " + positions[bad.get().row()] + ", dimension "
                    + bad.get().dimension()
                    + " is not finite; statistics need finite activations");
        }
    }

    /** Which of the {@code nSeq * seqLen} tokens count, row-major: the real ones, less BOS when asked. */
    private static boolean[] countedTokens(ActivationArrayFiles input, boolean excludeBos) {
        boolean[] counts = new boolean[Math.multiplyExact(input.sequences(), input.seqLen())];
        for (int s = 0; s < input.sequences(); s++) {
            for (int p = 0; p < input.seqLen(); p++) {
                counts[s * input.seqLen() + p] =
                        input.isReal(s, p) && !(excludeBos && input.tokens(s)[p] == GemmaTokens.BOS);
            }
        }
        return counts;
    }

    private static Path writeFeatures(Path file, FeatureStats stats) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("feature,fire_count,density,sum,max,mean_when_firing\n");
            for (int f = 0; f < stats.dSae(); f++) {
                out.write(f + "," + stats.fireCount(f) + "," + stats.density(f) + "," + stats.sum(f) + ","
                        + stats.max(f) + "," + stats.meanWhenFiring(f) + "\n");
            }
        }
        return file;
    }

    private static Path writeTopExamples(Path file, TopExamples top) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("feature,rank,doc,pos,activation\n");
            for (int f = 0; f < top.dSae(); f++) {
                int rank = 1;
                for (TopExamples.Example e : top.examples(f)) {
                    out.write(f + "," + rank++ + "," + e.doc() + "," + e.position() + "," + e.activation() + "\n");
                }
            }
        }
        return file;
    }

    private static Path writeHistograms(Path file, SaeStatistics stats) throws IOException {
        ActivationHistogram h = stats.histogram();
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("feature,bin,lower_edge,upper_edge,count\n");
            for (int f = 0; f < h.dSae(); f++) {
                if (stats.features().fireCount(f) == 0) continue;
                long[] counts = h.counts(f);
                for (int bin = 0; bin < counts.length; bin++) {
                    if (counts[bin] > 0) {
                        out.write(f + "," + bin + "," + h.lowerEdge(bin) + "," + h.upperEdge(bin) + "," + counts[bin]
                                + "\n");
                    }
                }
            }
        }
        return file;
    }

    private static Path writeIntervalSamples(Path file, SaeStatistics stats) throws IOException {
        IntervalSamples samples = stats.intervalSamples();
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("feature,interval_index,lower_edge,upper_edge,sample_rank,doc,pos,activation\n");
            for (int f = 0; f < samples.dSae(); f++) {
                if (stats.features().fireCount(f) == 0) continue;
                for (int interval = 0; interval < samples.intervalCount(); interval++) {
                    int rank = 1;
                    for (TopExamples.Example e : samples.samples(f, interval)) {
                        out.write(f + "," + interval + "," + samples.lowerEdge(interval) + ","
                                + samples.upperEdge(interval) + "," + rank++ + "," + e.doc() + "," + e.position()
                                + "," + e.activation() + "\n");
                    }
                }
            }
        }
        return file;
    }

    private static Path writeSummary(Path file, SaeSummary summary, ReconstructionStats reconstruction)
            throws IOException {
        String json = "{\n"
                + "  \"n_tokens\": " + summary.tokens() + ",\n"
                + "  \"l0\": " + number(reconstruction.l0()) + ",\n"
                + "  \"mse\": " + number(reconstruction.mse()) + ",\n"
                + "  \"mse_per_token\": " + number(reconstruction.msePerToken()) + ",\n"
                + "  \"fvu\": " + number(reconstruction.fvu()) + ",\n"
                + "  \"explained_variance\": " + number(reconstruction.explainedVariance()) + ",\n"
                + "  \"cosine\": " + number(reconstruction.cosine()) + ",\n"
                + "  \"l2_ratio\": " + number(reconstruction.l2Ratio()) + ",\n"
                + "  \"relative_reconstruction_bias\": " + number(reconstruction.relativeReconstructionBias())
                + ",\n"
                + "  \"dead\": " + summary.dead() + ",\n"
                + "  \"dense\": " + summary.dense() + ",\n"
                + "  \"frac_alive\": " + number(summary.fracAlive()) + "\n"
                + "}\n";
        Files.writeString(file, json, StandardCharsets.UTF_8);
        return file;
    }

    /** JSON has no NaN or infinity: undefined values are null. */
    private static String number(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    public static Request.Builder request() {
        return new Request.Builder();
    }

    /** What to compute; build with {@link #request()}. */
    public static final class Request {
        private final Path sae;
        private final Path activations;
        private final Path out;
        private final Path mask;
        private final Path tokens;
        private final boolean excludeBos;
        private final int topK;
        private final double denseThreshold;
        private final MatmulBackend backend;
        private final ComputeDevice device;

        private Request(Builder b) {
            this.sae = b.sae;
            this.activations = b.activations;
            this.out = b.out;
            this.mask = b.mask;
            this.tokens = b.tokens;
            this.excludeBos = b.excludeBos;
            this.topK = b.topK;
            this.denseThreshold = b.denseThreshold;
            this.backend = b.backend;
            this.device = b.device;
        }

        /** Required: sae, activations, out. */
        public static final class Builder {
            private Path sae;
            private Path activations;
            private Path out;
            private Path mask;
            private Path tokens;
            private boolean excludeBos;
            private int topK = TopExamples.DEFAULT_K;
            private double denseThreshold = SaeSummary.DEFAULT_DENSE_THRESHOLD;
            private MatmulBackend backend = MatmulBackend.JAVA;
            private ComputeDevice device = ComputeDevice.CPU;

            private Builder() {}

            /** A Gemma Scope params.npz or an SAELens directory. */
            public Builder setSae(Path sae) {
                this.sae = sae;
                return this;
            }

            /** float {@code [n_seq, seq_len, d_in]} .npy. */
            public Builder setActivations(Path activations) {
                this.activations = activations;
                return this;
            }

            /** Output directory, created if absent. */
            public Builder setOut(Path out) {
                this.out = out;
                return this;
            }

            /** {@code [n_seq, seq_len]} .npy; tokens where it is 0 do not count. */
            public Builder optMask(Path mask) {
                this.mask = mask;
                return this;
            }

            /** tokens.json: one token-id list per sequence. */
            public Builder optTokens(Path tokens) {
                this.tokens = tokens;
                return this;
            }

            /** Drop BOS tokens (id 2); needs {@link #optTokens}. */
            public Builder optExcludeBos(boolean excludeBos) {
                this.excludeBos = excludeBos;
                return this;
            }

            public Builder optTopK(int topK) {
                this.topK = topK;
                return this;
            }

            public Builder optDenseThreshold(double denseThreshold) {
                this.denseThreshold = denseThreshold;
                return this;
            }

            public Builder optBackend(MatmulBackend backend) {
                this.backend = backend;
                return this;
            }

            /** Where the encoder runs (default CPU); CUDA needs the TORCH backend. */
            public Builder optDevice(ComputeDevice device) {
                this.device = device;
                return this;
            }

            public Request build() {
                Objects.requireNonNull(sae, "sae (--sae) is required");
                Objects.requireNonNull(activations, "activations (--activations) is required");
                Objects.requireNonNull(out, "out (--out) is required");
                Objects.requireNonNull(backend, "backend");
                Objects.requireNonNull(device, "device");
                backend.requireRunsOn(device);
                if (excludeBos && tokens == null) {
                    throw new IllegalArgumentException(
                            "--exclude-bos needs --tokens (the token ids say which are BOS)");
                }
                if (topK <= 0) {
                    throw new IllegalArgumentException("--top-k must be > 0, got " + topK);
                }
                if (!(denseThreshold >= 0 && denseThreshold <= 1)) {
                    throw new IllegalArgumentException("--dense-threshold must be in [0, 1], got " + denseThreshold);
                }
                return new Request(this);
            }
        }
    }
}
