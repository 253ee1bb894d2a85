package dev.scopeflow.producers.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Tiny Gemma 2 checkpoints in the real HF layout, written by numpy ({@code gemma2_reference.py make}), and the
 * independent numpy reference forward that checks what the Java code captured ({@code check}).
 *
 * <p>The default config is chosen so every Gemma 2 subtlety matters: head_dim (16) ≠ hidden/heads (12), 2 kv heads
 * for 4 query heads, query_pre_attn_scalar (24) ≠ head_dim, a sliding window (4) shorter than the sequences, and
 * softcaps (5 and 3) well inside the range of the raw scores and logits.
 */
public final class TinyGemma {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyGemma() {}

    public static ObjectNode defaultConfig() {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("Gemma2ForCausalLM");
        c.put("model_type", "gemma2");
        c.put("hidden_size", 48);
        c.put("intermediate_size", 96);
        c.put("num_hidden_layers", 4);
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 2);
        c.put("head_dim", 16);
        c.put("vocab_size", 256);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 10000.0);
        c.put("query_pre_attn_scalar", 24);
        c.put("attn_logit_softcapping", 5.0);
        c.put("final_logit_softcapping", 3.0);
        c.put("sliding_window", 4);
        c.put("hidden_activation", "gelu_pytorch_tanh");
        c.put("max_position_embeddings", 64);
        c.put("pad_token_id", 0);
        c.put("bos_token_id", 2);
        c.put("eos_token_id", 1);
        c.put("tie_word_embeddings", true);
        c.put("_weight_scale", 3.0); // q/k projection scale: makes raw attention scores exceed the softcap
        return c;
    }

    /**
     * Gemma 2 2B's shapes (hidden 2304, 8 heads, 4 kv heads, head_dim 256, intermediate 9216, softcaps 50/30) with
     * {@code layers} layers and a {@code vocab}-token vocabulary: what the forward and evaluation benchmarks run.
     */
    public static ObjectNode gemma2bShapedConfig(int layers, int vocab) {
        ObjectNode c = defaultConfig();
        c.put("hidden_size", 2304)
                .put("intermediate_size", 9216)
                .put("num_hidden_layers", layers)
                .put("num_attention_heads", 8)
                .put("num_key_value_heads", 4)
                .put("head_dim", 256)
                .put("vocab_size", vocab)
                .put("query_pre_attn_scalar", 256)
                .put("attn_logit_softcapping", 50.0)
                .put("final_logit_softcapping", 30.0)
                .put("sliding_window", 4096)
                .put("max_position_embeddings", 8192)
                .put("_weight_scale", 1.0);
        return c;
    }

    /** Writes a checkpoint with the default config. */
    public static Path write(Path dir, String dtype, int shards) {
        return write(dir, defaultConfig(), dtype, shards, 7);
    }

    public static Path write(Path dir, ObjectNode config, String dtype, int shards, int seed) {
        python(
                "make",
                "--out",
                dir.toString(),
                "--config",
                config.toString(),
                "--dtype",
                dtype,
                "--shards",
                String.valueOf(shards),
                "--seed",
                String.valueOf(seed));
        return dir;
    }

    /** A word-level tokenizer.json (lower-cased, whitespace-split) whose ids fit the tiny 256-token vocabulary. */
    public static void writeWordTokenizer(Path model) {
        String vocab = "{\"<pad>\":0,\"<eos>\":1,\"<bos>\":2,\"<unk>\":3,\"the\":10,\"city\":11,\"of\":12,\"light\":13,"
                + "\"is\":14,\"paris\":15,\".\":16}";
        try {
            Files.writeString(
                    model.resolve("tokenizer.json"),
                    "{\"version\":\"1.0\",\"truncation\":null,"
                            + "\"padding\":null,\"added_tokens\":[],\"normalizer\":{\"type\":\"Lowercase\"},"
                            + "\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"post_processor\":null,\"decoder\":null,"
                            + "\"model\":{\"type\":\"WordLevel\",\"vocab\":" + vocab + ",\"unk_token\":\"<unk>\"}}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the numpy reference over what the Java code wrote to {@code captured}; returns its JSON report. */
    public static JsonNode check(Path model, Path captured) {
        try {
            return JSON.readTree(python("check", "--model", model.toString(), "--captured", captured.toString()));
        } catch (IOException e) {
            throw new IllegalStateException("reference report is not JSON", e);
        }
    }

    /**
     * Writes a Gemma Scope params.npz for {@code site} fitted loosely to the site's values on the sequences of
     * {@code tokensFile} (numpy {@code make-sae}: about 40 % of features active, thresholds > 0).
     */
    public static Path writeSae(Path model, Path tokensFile, String site, int dSae, int seed, Path out) {
        python(
                "make-sae",
                "--model",
                model.toString(),
                "--tokens",
                tokensFile.toString(),
                "--site",
                site,
                "--d-sae",
                String.valueOf(dSae),
                "--seed",
                String.valueOf(seed),
                "--out",
                out.toString());
        return out;
    }

    /**
     * The numpy reference's downstream metrics of each {@code ID=SITE=NPZ} on the sequences of {@code tokensFile},
     * keyed by id (plus {@code stats}: how much the softcaps and the sliding window bite).
     */
    /**
     * A reference run is only a test of the subtle parts if they bite: the attention and final softcaps are
     * reached (by more than 1.5 over the cap) and the sliding window masks keys; {@code stats} is the reference's
     * "stats" object.
     */
    public static void assertSubtlePartsBite(JsonNode stats) {
        assertThat(stats.get("max_abs_score_over_cap").asDouble())
                .as("attention softcap bites")
                .isGreaterThan(1.5);
        assertThat(stats.get("max_abs_logit_over_cap").asDouble())
                .as("final softcap bites")
                .isGreaterThan(1.5);
        assertThat(stats.get("window_masked_pairs").asInt())
                .as("sliding window masks keys")
                .isPositive();
    }

    public static JsonNode evaluate(Path model, Path tokensFile, List<String> saes) {
        List<String> args =
                new ArrayList<>(List.of("eval", "--model", model.toString(), "--tokens", tokensFile.toString()));
        for (String sae : saes) {
            args.add("--sae");
            args.add(sae);
        }
        try {
            return JSON.readTree(python(args.toArray(String[]::new)));
        } catch (IOException e) {
            throw new IllegalStateException("reference report is not JSON", e);
        }
    }

    /** Sequences of different lengths (right padding matters), BOS first, ids in [3, vocab). */
    public static List<int[]> sampleSequences() {
        int[] lengths = {13, 7, 1, 10};
        List<int[]> sequences = new ArrayList<>();
        int next = 11;
        for (int length : lengths) {
            int[] s = new int[length];
            s[0] = 2;
            for (int i = 1; i < length; i++) {
                next = (next * 37 + 17) % 253;
                s[i] = 3 + next;
            }
            sequences.add(s);
        }
        return sequences;
    }

    /** The reference script as a file: from this module's test classes, or copied out of its test jar (cli). */
    private static Path script() {
        URL resource = TinyGemma.class.getResource("/dev/scopeflow/producers/model/gemma2_reference.py");
        try {
            if (resource.getProtocol().equals("file")) {
                return Path.of(resource.toURI());
            }
            Path copy = Files.createTempFile("gemma2_reference", ".py");
            copy.toFile().deleteOnExit();
            try (InputStream in = resource.openStream()) {
                Files.copy(in, copy, StandardCopyOption.REPLACE_EXISTING);
            }
            return copy;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String python(String... args) {
        Path script = script();
        List<String> command = new ArrayList<>(List.of("python3", script.toString()));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
            String out;
            String err;
            try (InputStream stdout = p.getInputStream();
                    InputStream stderr = p.getErrorStream()) {
                out = new String(stdout.readAllBytes(), StandardCharsets.UTF_8);
                err = new String(stderr.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("python3 " + String.join(" ", args) + " failed:\n" + err);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run python3 (Python 3 + numpy are required by the tests)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
