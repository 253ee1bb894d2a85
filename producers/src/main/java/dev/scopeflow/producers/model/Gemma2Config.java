package dev.scopeflow.producers.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.schemas.GemmaTokens;
import dev.scopeflow.schemas.Site;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The fields of an HF {@code config.json} that a Gemma 2 forward needs, validated: the architecture must be
 * {@code Gemma2ForCausalLM} and the model type {@code gemma2}, dimensions positive and consistent. Softcaps are empty when the config sets them to
 * null (HF then skips the tanh).
 */
public final class Gemma2Config {

    public static final String ARCHITECTURE = "Gemma2ForCausalLM";
    public static final String MODEL_TYPE = "gemma2";

    private final Path source;
    private final int hiddenSize;
    private final int intermediateSize;
    private final int numLayers;
    private final int numHeads;
    private final int numKvHeads;
    private final int headDim;
    private final int vocabSize;
    private final double rmsNormEps;
    private final double ropeTheta;
    private final double queryPreAttnScalar;
    private final OptionalDouble attnLogitSoftcap;
    private final OptionalDouble finalLogitSoftcap;
    private final int slidingWindow;
    private final boolean[] slidingLayers;
    private final int bosTokenId;
    private final int padTokenId;
    private final int eosTokenId;
    private final String torchDtype;

    private Gemma2Config(Path source, JsonNode json) {
        this.source = source;
        JsonNode architectures = json.get("architectures");
        if (architectures == null || !architectures.isArray() || architectures.isEmpty()) {
            throw error("architectures", "is missing; expected [\"" + ARCHITECTURE + "\"]");
        }
        List<String> names = new ArrayList<>();
        architectures.forEach(a -> names.add(a.asText()));
        if (!names.contains(ARCHITECTURE)) {
            throw error("architectures", "is " + names + "; only " + ARCHITECTURE + " (Gemma 2) is supported");
        }
        // transformers picks the model class by model_type, not architectures: both must say Gemma 2.
        String modelType = json.path("model_type").asText("");
        if (!modelType.equals(MODEL_TYPE)) {
            throw error(
                    "model_type",
                    (json.has("model_type") ? "is '" + modelType + "'" : "is missing") + " but architectures is "
                            + names + "; a Gemma 2 checkpoint has model_type '" + MODEL_TYPE + "'");
        }
        hiddenSize = positiveInt(json, "hidden_size");
        intermediateSize = positiveInt(json, "intermediate_size");
        numLayers = positiveInt(json, "num_hidden_layers");
        numHeads = positiveInt(json, "num_attention_heads");
        numKvHeads = json.has("num_key_value_heads") ? positiveInt(json, "num_key_value_heads") : numHeads;
        if (numHeads % numKvHeads != 0) {
            throw error(
                    "num_key_value_heads", "(" + numKvHeads + ") must divide num_attention_heads (" + numHeads + ")");
        }
        headDim = json.has("head_dim") ? positiveInt(json, "head_dim") : hiddenSize / numHeads;
        if (headDim % 2 != 0) {
            throw error("head_dim", "(" + headDim + ") must be even for rotary embeddings");
        }
        vocabSize = positiveInt(json, "vocab_size");
        rmsNormEps = positiveDouble(json, "rms_norm_eps", 1e-6);
        ropeTheta = positiveDouble(json, "rope_theta", 10000.0);
        queryPreAttnScalar = positiveDouble(json, "query_pre_attn_scalar", headDim);
        attnLogitSoftcap = optionalCap(json, "attn_logit_softcapping");
        finalLogitSoftcap = optionalCap(json, "final_logit_softcapping");
        slidingWindow =
                json.has("sliding_window") && !json.get("sliding_window").isNull()
                        ? positiveInt(json, "sliding_window")
                        : Integer.MAX_VALUE;
        slidingLayers = slidingLayers(json);
        String activation = text(json, "hidden_activation", text(json, "hidden_act", "gelu_pytorch_tanh"));
        if (!activation.equals("gelu_pytorch_tanh")) {
            throw error("hidden_activation", "is '" + activation + "'; Gemma 2 uses gelu_pytorch_tanh");
        }
        if (json.has("tie_word_embeddings") && !json.get("tie_word_embeddings").asBoolean(true)) {
            throw error("tie_word_embeddings", "is false; Gemma 2 ties the LM head to the embeddings");
        }
        bosTokenId = json.path("bos_token_id").asInt(GemmaTokens.BOS);
        padTokenId = json.path("pad_token_id").asInt(GemmaTokens.PAD);
        eosTokenId = json.path("eos_token_id").isArray()
                ? json.path("eos_token_id").path(0).asInt(GemmaTokens.EOS)
                : json.path("eos_token_id").asInt(GemmaTokens.EOS);
        torchDtype = text(json, "torch_dtype", text(json, "dtype", "float32"));
    }

    /** Reads {@code dir/config.json}. */
    public static Gemma2Config load(Path checkpointDir) {
        Path file = checkpointDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(
                    checkpointDir + ": no config.json (expected a Hugging Face checkpoint directory)");
        }
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckpointException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (json == null || !json.isObject()) {
            throw new CheckpointException(file + ": not a JSON object");
        }
        return new Gemma2Config(file, json);
    }

    /** Newer transformers list {@code layer_types}; older configs imply sliding attention on even layers. */
    private boolean[] slidingLayers(JsonNode json) {
        boolean[] sliding = new boolean[numLayers];
        JsonNode types = json.get("layer_types");
        if (types != null && types.isArray()) {
            if (types.size() != numLayers) {
                throw error("layer_types", "has " + types.size() + " entries for " + numLayers + " layers");
            }
            for (int i = 0; i < numLayers; i++) {
                String type = types.get(i).asText();
                if (!type.equals("sliding_attention") && !type.equals("full_attention")) {
                    throw error("layer_types", "entry " + i + " is '" + type + "'");
                }
                sliding[i] = type.equals("sliding_attention");
            }
        } else {
            for (int i = 0; i < numLayers; i++) {
                sliding[i] = i % 2 == 0;
            }
        }
        return sliding;
    }

    private int positiveInt(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || !node.isIntegralNumber() || node.asLong() <= 0 || node.asLong() > Integer.MAX_VALUE) {
            throw error(field, node == null ? "is missing" : "must be a positive integer, got " + node);
        }
        return node.asInt();
    }

    private double positiveDouble(JsonNode json, String field, double fallback) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isNumber() || !(node.asDouble() > 0)) {
            throw error(field, "must be a positive number, got " + node);
        }
        return node.asDouble();
    }

    private OptionalDouble optionalCap(JsonNode json, String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull()
                ? OptionalDouble.empty()
                : OptionalDouble.of(positiveDouble(json, field, 0));
    }

    private static String text(JsonNode json, String field, String fallback) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? fallback : node.asText();
    }

    private CheckpointException error(String field, String problem) {
        return new CheckpointException(source + ": field '" + field + "' " + problem);
    }

    public Path source() {
        return source;
    }

    public int hiddenSize() {
        return hiddenSize;
    }

    public int intermediateSize() {
        return intermediateSize;
    }

    public int numLayers() {
        return numLayers;
    }

    public int numHeads() {
        return numHeads;
    }

    public int numKvHeads() {
        return numKvHeads;
    }

    public int headDim() {
        return headDim;
    }

    public int vocabSize() {
        return vocabSize;
    }

    public double rmsNormEps() {
        return rmsNormEps;
    }

    public double ropeTheta() {
        return ropeTheta;
    }

    public double queryPreAttnScalar() {
        return queryPreAttnScalar;
    }

    public OptionalDouble attnLogitSoftcap() {
        return attnLogitSoftcap;
    }

    public OptionalDouble finalLogitSoftcap() {
        return finalLogitSoftcap;
    }
    /** Keys a sliding-window query sees: {@code i - j < slidingWindow}; MAX_VALUE when unset. */
    public int slidingWindow() {
        return slidingWindow;
    }

    public boolean isSlidingLayer(int layer) {
        return slidingLayers[layer];
    }

    public int bosTokenId() {
        return bosTokenId;
    }

    public int padTokenId() {
        return padTokenId;
    }

    public int eosTokenId() {
        return eosTokenId;
    }
    /** The checkpoint's storage dtype as written in config.json (informational: the forward runs in float32). */
    public String torchDtype() {
        return torchDtype;
    }

    /** Activation width at {@code site}, after checking that the model has the site's layer. */
    public int width(Site site) {
        if (site.layer() >= numLayers) {
            throw new IllegalArgumentException("site " + site + " is beyond the model: it has " + numLayers
                    + " layers (0.." + (numLayers - 1) + ", config.json num_hidden_layers)");
        }
        return siteWidth(site.kind());
    }

    /** Width of the activations at a site of this kind: hidden size for res/mlp, heads × head_dim for att. */
    public int siteWidth(Site.Kind kind) {
        return kind == Site.Kind.ATT ? numHeads * headDim : hiddenSize;
    }
}
