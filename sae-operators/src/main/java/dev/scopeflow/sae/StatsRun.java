package dev.scopeflow.sae;

import dev.scopeflow.schemas.results.SaeSummary;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The batch statistics behind {@code scopeflow stats}: one SAE over an activation array
 * {@code [n_seq, seq_len, d_in]} (as {@code scopeflow capture} writes it), writing the public contract for
 * checking these numbers:
 * <ul>
 *   <li>{@code features.csv}: {@code feature,fire_count,density,sum,max,mean_when_firing}, one row per feature
 *       (dead ones included), density = fire_count / n_tokens;</li>
 *   <li>{@code top_examples.csv}: {@code feature,rank,doc,pos,activation}, rank 1 = highest activation (ties: lower
 *       doc, then lower pos), doc = sequence index, pos = position in it;</li>
 *   <li>{@code summary.json}: {@code n_tokens, l0, mse, fvu, explained_variance, cosine, dead, dense,
 *       frac_alive} (null where undefined, e.g. no tokens).</li>
 * </ul>
 * A token counts when its mask entry is non-zero (with a mask), when its position is inside its token list
 * (with a tokens file: positions past a sequence's end are padding) and, with {@code excludeBos}, when its id
 * is not BOS (Gemma 2: 2). Numbers are written in Java's shortest round-trip form.
 */
public final class StatsRun {

    /** Gemma 2's BOS id. */
    public static final int GEMMA_BOS = 2;
    /** Tokens per encode call: several kernel blocks, a few MiB of activations. */
    private static final int BATCH_ROWS = 1024;

    /** What was computed and written. */
    public record Result(long tokens, FeatureStats features, ReconstructionStats reconstruction, TopExamples top,
                         SaeSummary summary, List<Path> files) { }

    private StatsRun() {
    }

    public static Result run(Request request) throws IOException {
        NpyArray activations = NpyArray.read(request.activations);
        if (activations.rank() != 3) {
            throw new SaeFormatException(request.activations + ": activations have shape "
                    + Arrays.toString(activations.shape()) + ", expected [n_seq, seq_len, d_in]");
        }
        int nSeq = activations.dim(0);
        int seqLen = activations.dim(1);
        int dIn = activations.dim(2);
        boolean[] counts = countedTokens(request, nSeq, seqLen);
        try (SparseAutoencoder sae = SaeLoader.load(request.sae, request.backend)) {
            if (sae.dIn() != dIn) {
                throw new SaeFormatException(request.activations + ": width " + dIn + " does not match the SAE's d_in "
                        + sae.dIn() + " (" + request.sae + ")");
            }
            FeatureStats features = new FeatureStats(sae.dSae());
            ReconstructionStats reconstruction = new ReconstructionStats(dIn);
            TopExamples top = new TopExamples(sae.dSae(), request.topK);
            float[] data = activations.data();
            float[] x = new float[BATCH_ROWS * dIn];
            long[] docs = new long[BATCH_ROWS];
            int[] positions = new int[BATCH_ROWS];
            int rows = 0;
            for (int token = 0; token < counts.length; token++) {
                if (!counts[token]) continue;
                System.arraycopy(data, token * dIn, x, rows * dIn, dIn);
                docs[rows] = token / seqLen;
                positions[rows] = token % seqLen;
                if (++rows == BATCH_ROWS) {
                    addBatch(sae, x, rows, docs, positions, features, reconstruction, top);
                    rows = 0;
                }
            }
            if (rows > 0) {
                addBatch(sae, Arrays.copyOf(x, rows * dIn), rows, Arrays.copyOf(docs, rows),
                        Arrays.copyOf(positions, rows), features, reconstruction, top);
            }
            SaeSummary summary = features.summary(request.denseThreshold);
            Files.createDirectories(request.out);
            List<Path> files = List.of(writeFeatures(request.out.resolve("features.csv"), features),
                    writeTopExamples(request.out.resolve("top_examples.csv"), top),
                    writeSummary(request.out.resolve("summary.json"), summary, reconstruction));
            return new Result(features.tokens(), features, reconstruction, top, summary, files);
        }
    }

    private static void addBatch(SparseAutoencoder sae, float[] x, int rows, long[] docs, int[] positions,
                                 FeatureStats features, ReconstructionStats reconstruction, TopExamples top) {
        SparseCodes codes = sae.encode(x, rows);
        features.addAll(codes);
        top.addAll(codes, docs, positions);
        reconstruction.addAll(x, sae.decode(codes), codes);
    }

    /** Which of the {@code nSeq * seqLen} tokens count, row-major. */
    private static boolean[] countedTokens(Request request, int nSeq, int seqLen) throws IOException {
        boolean[] counts = new boolean[Math.multiplyExact(nSeq, seqLen)];
        Arrays.fill(counts, true);
        if (request.mask != null) {
            NpyArray mask = NpyArray.read(request.mask);
            if (!mask.hasShape(nSeq, seqLen)) {
                throw new SaeFormatException(request.mask + ": mask has shape " + Arrays.toString(mask.shape())
                        + ", expected [n_seq " + nSeq + ", seq_len " + seqLen + "] from " + request.activations);
            }
            float[] m = mask.data();
            for (int t = 0; t < counts.length; t++) {
                counts[t] &= m[t] != 0;
            }
        }
        if (request.tokens != null) {
            List<int[]> sequences = readTokens(request.tokens);
            if (sequences.size() != nSeq) {
                throw new SaeFormatException(request.tokens + ": " + sequences.size() + " token lists, but "
                        + request.activations + " has " + nSeq + " sequences");
            }
            for (int s = 0; s < nSeq; s++) {
                int[] ids = sequences.get(s);
                if (ids.length > seqLen) {
                    throw new SaeFormatException(request.tokens + ": sequence " + s + " has " + ids.length
                            + " tokens, more than seq_len " + seqLen);
                }
                for (int p = 0; p < seqLen; p++) {
                    boolean real = p < ids.length;
                    counts[s * seqLen + p] &= real && !(request.excludeBos && ids[p] == GEMMA_BOS);
                }
            }
        }
        return counts;
    }

    /** A JSON list of token-id lists, e.g. {@code [[2, 651, 3922], [2, 7127]]}. */
    static List<int[]> readTokens(Path file) throws IOException {
        Object parsed;
        try {
            parsed = MiniJson.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new SaeFormatException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof List<?> outer)) {
            throw new SaeFormatException(file + ": expected a JSON list of token-id lists, e.g. [[2, 651, 3922]]");
        }
        List<int[]> sequences = new ArrayList<>(outer.size());
        for (int s = 0; s < outer.size(); s++) {
            if (!(outer.get(s) instanceof List<?> inner)) {
                throw new SaeFormatException(file + ": entry " + s + " is not a list of token ids");
            }
            int[] ids = new int[inner.size()];
            for (int p = 0; p < ids.length; p++) {
                if (!(inner.get(p) instanceof Long id) || id < 0 || id > Integer.MAX_VALUE) {
                    throw new SaeFormatException(file + ": entry " + s + ", position " + p
                            + " is not a token id (non-negative integer): " + inner.get(p));
                }
                ids[p] = (int) (long) id;
            }
            sequences.add(ids);
        }
        return sequences;
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

    private static Path writeSummary(Path file, SaeSummary summary, ReconstructionStats reconstruction)
            throws IOException {
        String json = "{\n"
                + "  \"n_tokens\": " + summary.tokens() + ",\n"
                + "  \"l0\": " + number(reconstruction.l0()) + ",\n"
                + "  \"mse\": " + number(reconstruction.mse()) + ",\n"
                + "  \"fvu\": " + number(reconstruction.fvu()) + ",\n"
                + "  \"explained_variance\": " + number(reconstruction.explainedVariance()) + ",\n"
                + "  \"cosine\": " + number(reconstruction.cosine()) + ",\n"
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

            private Builder() {
            }

            /** A Gemma Scope params.npz or an SAELens directory. */
            public Builder setSae(Path sae) { this.sae = sae; return this; }

            /** float {@code [n_seq, seq_len, d_in]} .npy. */
            public Builder setActivations(Path activations) { this.activations = activations; return this; }

            /** Output directory, created if absent. */
            public Builder setOut(Path out) { this.out = out; return this; }

            /** {@code [n_seq, seq_len]} .npy; tokens where it is 0 do not count. */
            public Builder optMask(Path mask) { this.mask = mask; return this; }

            /** tokens.json: one token-id list per sequence. */
            public Builder optTokens(Path tokens) { this.tokens = tokens; return this; }

            /** Drop BOS tokens (id 2); needs {@link #optTokens}. */
            public Builder optExcludeBos(boolean excludeBos) { this.excludeBos = excludeBos; return this; }

            public Builder optTopK(int topK) { this.topK = topK; return this; }

            public Builder optDenseThreshold(double denseThreshold) { this.denseThreshold = denseThreshold; return this; }

            public Builder optBackend(MatmulBackend backend) { this.backend = backend; return this; }

            public Request build() {
                Objects.requireNonNull(sae, "sae (--sae) is required");
                Objects.requireNonNull(activations, "activations (--activations) is required");
                Objects.requireNonNull(out, "out (--out) is required");
                Objects.requireNonNull(backend, "backend");
                if (excludeBos && tokens == null) {
                    throw new IllegalArgumentException("--exclude-bos needs --tokens (the token ids say which are BOS)");
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
