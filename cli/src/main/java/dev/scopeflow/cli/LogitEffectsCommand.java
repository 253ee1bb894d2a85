package dev.scopeflow.cli;

import dev.scopeflow.producers.model.CheckpointException;
import dev.scopeflow.producers.model.Gemma2Config;
import dev.scopeflow.producers.model.SafetensorsCheckpoint;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.sae.analysis.LogitEffects;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.model.SaeLoader;
import dev.scopeflow.sae.model.SparseAutoencoder;
import dev.scopeflow.schemas.format.TensorInfo;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scopeflow logit-effects}: each SAE feature's top and bottom tokens of {@code W_dec[f] · W_Uᵀ}, with W_U the
 * checkpoint's unembedding (Gemma 2 ties it to {@code model.embed_tokens.weight}), streamed from the safetensors
 * files into {@link LogitEffects}. A thin shell over {@link #run}.
 */
@Command(
        name = "logit-effects",
        mixinStandardHelpOptions = true,
        description = "Write each SAE feature's top and bottom tokens of W_dec[f] · W_U^T (direct logit effects) "
                + "as CSV: feature,direction,rank,token_id,token,value.")
final class LogitEffectsCommand implements Callable<Integer> {

    /** Gemma 2's LM head is tied to the input embedding, so this tensor is W_U. */
    static final String UNEMBEDDING = "model.embed_tokens.weight";

    @Option(names = "--sae", required = true, description = "A Gemma Scope params.npz or an SAELens directory.")
    Path sae;

    @Option(
            names = "--model",
            required = true,
            description =
                    "Hugging Face Gemma 2 checkpoint directory (config.json, *.safetensors; tokenizer.json for token text).")
    Path model;

    @Option(
            names = "--top",
            defaultValue = "" + LogitEffects.DEFAULT_K,
            description = "Tokens per feature and direction (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(
            names = "--backend",
            description = "Matmul: TORCH (libtorch via DJL) or JAVA (default: TORCH when libtorch loads, else JAVA).")
    MatmulBackend backend;

    @Option(names = "--out", required = true, description = "Output CSV file.")
    Path out;

    /** What {@link #run} wrote; {@code tokenText} is false when the checkpoint has no tokenizer.json. */
    record Result(Path file, int features, int vocab, int k, long rows, boolean tokenText, double seconds) {}

    @Override
    public Integer call() throws IOException {
        MatmulBackend chosen = backend != null ? backend : MatmulBackend.AUTO.resolve();
        Result r = run(sae, model, top, chosen, out);
        System.out.printf(
                "logit effects of %d features over %d tokens (top %d each way, %s) in %.1f s%s%n",
                r.features(),
                r.vocab(),
                r.k(),
                chosen,
                r.seconds(),
                r.tokenText() ? "" : "; no tokenizer.json, so the token column is empty");
        System.out.println("wrote " + r.file() + " (" + r.rows() + " rows)");
        return 0;
    }

    /**
     * Computes the logit effects of the SAE at {@code saePath} through the unembedding of the Gemma 2 checkpoint in
     * {@code modelDir} and writes {@code out} (rank 1 = highest for {@code +}, lowest for {@code -}; ties to the
     * lower token id). Token text is decoded with the checkpoint's tokenizer.json when there is one.
     */
    public static Result run(Path saePath, Path modelDir, int top, MatmulBackend backend, Path out) throws IOException {
        long start = System.nanoTime();
        Gemma2Config config = Gemma2Config.load(modelDir); // a Gemma 2 config also guarantees the tied LM head
        LogitEffects effects;
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(modelDir);
                SparseAutoencoder sae = SaeLoader.load(saePath, backend)) {
            TensorInfo wU = checkpoint.tensor(UNEMBEDDING);
            long[] shape = wU.shape();
            if (shape.length != 2 || shape[0] != config.vocabSize() || shape[1] != config.hiddenSize()) {
                throw new CheckpointException(modelDir + ": " + wU + " should be [vocab_size " + config.vocabSize()
                        + ", hidden_size " + config.hiddenSize() + "] per config.json, got " + Arrays.toString(shape));
            }
            effects = LogitEffects.compute(
                    sae, new CheckpointUnembedding(checkpoint, wU, (int) shape[0], (int) shape[1]), top, backend);
        }
        boolean tokenText = Files.isRegularFile(modelDir.resolve("tokenizer.json"));
        long rows;
        try (GemmaTokenizer tokenizer = tokenText ? GemmaTokenizer.load(modelDir, config.bosTokenId()) : null) {
            rows = writeCsv(effects, tokenizer, out);
        }
        return new Result(
                out, effects.dSae(), effects.vocab(), effects.k(), rows, tokenText, (System.nanoTime() - start) / 1e9);
    }

    private static long writeCsv(LogitEffects effects, GemmaTokenizer tokenizer, Path out) throws IOException {
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        // the same tokens recur across features: decode each once
        Map<Integer, String> text = new HashMap<>();
        long rows = 0;
        try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            w.write("feature,direction,rank,token_id,token,value\n");
            for (int f = 0; f < effects.dSae(); f++) {
                for (int rank = 0; rank < effects.k(); rank++) {
                    int token = effects.highestToken(f, rank);
                    writeRow(w, f, "+", rank, token, tokenText(tokenizer, text, token), effects.highestValue(f, rank));
                }
                for (int rank = 0; rank < effects.k(); rank++) {
                    int token = effects.lowestToken(f, rank);
                    writeRow(w, f, "-", rank, token, tokenText(tokenizer, text, token), effects.lowestValue(f, rank));
                }
                rows += 2L * effects.k();
            }
        }
        return rows;
    }

    private static String tokenText(GemmaTokenizer tokenizer, Map<Integer, String> cache, int token) {
        return tokenizer == null ? "" : cache.computeIfAbsent(token, tokenizer::decode);
    }

    private static void writeRow(
            BufferedWriter w, int feature, String direction, int rank, int token, String text, float value)
            throws IOException {
        w.write(feature + "," + direction + "," + (rank + 1) + "," + token + "," + csvField(text) + "," + value + "\n");
    }

    /** RFC 4180: tokens may hold commas, quotes and newlines (e.g. Gemma's byte tokens). */
    private static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** W_U rows read straight from the safetensors files (widened to f32), a block at a time. */
    private record CheckpointUnembedding(SafetensorsCheckpoint checkpoint, TensorInfo tensor, int vocab, int dIn)
            implements LogitEffects.Unembedding {

        @Override
        public void read(int firstToken, int count, float[] into) {
            checkpoint.read(tensor, (long) firstToken * dIn, FloatBuffer.wrap(into, 0, count * dIn));
        }
    }
}
