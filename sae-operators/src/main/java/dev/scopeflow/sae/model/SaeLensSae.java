package dev.scopeflow.sae.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.scopeflow.sae.kernel.EncoderKernel;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.kernel.SparseDecoder;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.format.Json;
import dev.scopeflow.schemas.format.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * An SAE saved by SAELens: a directory with {@code cfg.json} and {@code sae_weights.safetensors}
 * (W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc [d_sae], b_dec [d_in], and threshold [d_sae] for JumpReLU).
 *
 * <p>Encode follows SAELens exactly: the per-token input normalisation first ({@code constant_norm_rescale}:
 * {@code x · sqrt(d_in) / ‖x‖}; {@code layer_norm}: {@code (x − mean) / (std + 1e-5)} with torch's unbiased std),
 * then {@code − b_dec} when {@code apply_b_dec_to_input}, then {@code pre = x · W_enc + b_enc} and the
 * activation: standard {@code relu(pre)}; jumprelu {@code relu(pre) · (pre > threshold)}; topk the k largest
 * pre-activations (ties to the lower index, for determinism) then relu. A feature is active when its activation
 * is {@code > 0}. Decode is {@code f · W_dec + b_dec} mapped back through the inverse normalisation.
 * {@code expected_average_only_in} is the identity at inference (SAELens folds its factor into the weights),
 * so it is treated as {@code none}.
 */
public final class SaeLensSae implements SparseAutoencoder {

    /** The activation rule after the encoder matmul. */
    public enum Architecture {
        STANDARD,
        JUMPRELU,
        TOPK
    }

    /** Per-token input normalisation applied at inference. */
    public enum Normalization {
        NONE,
        CONSTANT_NORM_RESCALE,
        LAYER_NORM
    }

    static final float LAYER_NORM_EPS = 1e-5f;
    static final String WEIGHTS_FILE = "sae_weights.safetensors";

    private final int dIn;
    private final int dSae;
    private final Architecture architecture;
    private final int k;
    private final boolean applyBDecToInput;
    private final Normalization normalization;
    private final EncoderKernel encoder;
    /**
     * STANDARD and JUMPRELU: a feature is active exactly when {@code pre > activeAbove[j]} (0, or
     * {@code max(threshold, 0)} since JumpReLU's {@code relu(pre) · (pre > threshold)} needs both). Null for TOPK.
     */
    private final float[] activeAbove;

    private final float[] bDec;
    private final SparseDecoder decoder;

    SaeLensSae(
            int dIn,
            int dSae,
            Architecture architecture,
            int k,
            boolean applyBDecToInput,
            Normalization normalization,
            float[] wEnc,
            float[] bEnc,
            float[] threshold,
            float[] wDec,
            float[] bDec,
            MatmulBackend backend,
            ComputeDevice device) {
        if (architecture == Architecture.TOPK && (k <= 0 || k > dSae)) {
            throw new IllegalArgumentException("topk needs 0 < k <= d_sae (" + dSae + "), got " + k);
        }
        this.dIn = dIn;
        this.dSae = dSae;
        this.architecture = architecture;
        this.k = k;
        this.applyBDecToInput = applyBDecToInput;
        this.normalization = normalization;
        this.encoder = backend.create(wEnc, bEnc, dIn, dSae, device);
        this.activeAbove = switch (architecture) {
            case STANDARD -> new float[dSae];
            case JUMPRELU -> JumpReluSae.activeAbove(threshold);
            case TOPK -> null;
        };
        this.bDec = bDec;
        this.decoder = new SparseDecoder(wDec, bDec, dSae, dIn);
    }

    /** Loads an SAELens directory; unknown architectures, width mismatches, missing tensors and NaNs fail. */
    public static SaeLensSae load(Path directory) throws IOException {
        return load(directory, MatmulBackend.JAVA);
    }

    /** As {@link #load(Path)}, encoding with the given backend. */
    public static SaeLensSae load(Path directory, MatmulBackend backend) throws IOException {
        return load(directory, backend, ComputeDevice.CPU);
    }

    /** As {@link #load(Path)}, encoding with the given backend on {@code device}. */
    public static SaeLensSae load(Path directory, MatmulBackend backend, ComputeDevice device) throws IOException {
        Config cfg = Config.read(directory);
        Path weightsFile = directory.resolve(WEIGHTS_FILE);
        try (SafetensorsFile weights = SafetensorsFile.open(weightsFile)) {
            String thresholdName = cfg.requireShapes(weights);
            float[] wEnc = weights.readAll(JumpReluSae.W_ENC);
            float[] wDec = weights.readAll(JumpReluSae.W_DEC);
            float[] bEnc = weights.readAll(JumpReluSae.B_ENC);
            float[] bDec = weights.readAll(JumpReluSae.B_DEC);
            float[] threshold = thresholdName == null ? null : weights.readAll(thresholdName);
            if ("log_threshold".equals(thresholdName)) {
                for (int j = 0; j < threshold.length; j++) {
                    threshold[j] = (float) Math.exp(threshold[j]);
                }
            }
            WeightChecks checks = new WeightChecks(weightsFile.toString());
            try {
                checks.require(JumpReluSae.W_ENC, wEnc, cfg.dIn, cfg.dSae);
                checks.require(JumpReluSae.W_DEC, wDec, cfg.dSae, cfg.dIn);
                checks.require(JumpReluSae.B_ENC, bEnc, cfg.dSae);
                checks.require(JumpReluSae.B_DEC, bDec, cfg.dIn);
                if (threshold != null) {
                    checks.require(JumpReluSae.THRESHOLD, threshold, cfg.dSae);
                }
            } catch (IllegalArgumentException e) {
                throw new SaeFormatException(e.getMessage(), e);
            }
            return new SaeLensSae(
                    cfg.dIn,
                    cfg.dSae,
                    cfg.architecture,
                    cfg.k,
                    cfg.applyBDec,
                    cfg.normalization,
                    wEnc,
                    bEnc,
                    threshold,
                    wDec,
                    bDec,
                    backend,
                    device);
        }
    }

    /** An SAELens directory described from cfg.json and the safetensors header alone, no weights read. */
    static SaeDescription describe(Path directory) throws IOException {
        Config cfg = Config.read(directory);
        try (SafetensorsFile weights = SafetensorsFile.open(directory.resolve(WEIGHTS_FILE))) {
            cfg.requireShapes(weights);
        }
        return new SaeDescription(cfg.architecture.name().toLowerCase(Locale.ROOT), cfg.dIn, cfg.dSae);
    }

    /** What cfg.json says, validated; everything the weights must agree with. */
    private record Config(
            int dIn, int dSae, Architecture architecture, int k, boolean applyBDec, Normalization normalization) {

        static Config read(Path directory) throws IOException {
            Path cfgFile = directory.resolve("cfg.json");
            if (!Files.isRegularFile(cfgFile)) {
                throw new SaeFormatException(directory + ": not an SAELens directory (no cfg.json)");
            }
            JsonNode cfg = Json.read(cfgFile, "malformed cfg.json");
            if (!cfg.isObject()) {
                throw new SaeFormatException(cfgFile + ": malformed cfg.json: not a JSON object");
            }
            String cfgSource = cfgFile.toString();
            int dIn = requiredInt(cfg, "d_in", cfgSource);
            int dSae = requiredInt(cfg, "d_sae", cfgSource);
            String activation = stringOr(cfg, "activation_fn_str", stringOr(cfg, "activation_fn", "relu"));
            String archName = stringOr(cfg, "architecture", "standard").toLowerCase(Locale.ROOT);
            Architecture architecture = switch (archName) {
                case "standard" -> activation.equals("topk") ? Architecture.TOPK : Architecture.STANDARD;
                case "jumprelu" -> Architecture.JUMPRELU;
                case "topk" -> Architecture.TOPK;
                default ->
                    throw new SaeFormatException(cfgSource + ": unsupported architecture '" + archName
                            + "' (supported: standard, jumprelu, topk)");
            };
            if (architecture == Architecture.STANDARD && !activation.equals("relu")) {
                throw new SaeFormatException(cfgSource + ": unsupported activation_fn '" + activation
                        + "' for a standard SAE (supported: relu, topk)");
            }
            int k = 0;
            if (architecture == Architecture.TOPK) {
                JsonNode kValue = cfg.has("k")
                        ? cfg.get("k")
                        : cfg.path("activation_fn_kwargs").get("k");
                if (kValue == null
                        || !kValue.isIntegralNumber()
                        || !kValue.canConvertToInt()
                        || kValue.asInt() <= 0
                        || kValue.asInt() > dSae) {
                    throw new SaeFormatException(
                            cfgSource + ": topk needs an integer k in [1, d_sae " + dSae + "], got " + kValue);
                }
                k = kValue.asInt();
            }
            // SAELens' own default when the key is absent
            JsonNode applyBDecNode = cfg.get("apply_b_dec_to_input");
            boolean applyBDec = applyBDecNode == null || !applyBDecNode.isBoolean() || applyBDecNode.asBoolean();
            String norm = stringOr(cfg, "normalize_activations", "none");
            Normalization normalization = switch (norm) {
                case "none", "expected_average_only_in" -> Normalization.NONE;
                case "constant_norm_rescale" -> Normalization.CONSTANT_NORM_RESCALE;
                case "layer_norm" -> Normalization.LAYER_NORM;
                default ->
                    throw new SaeFormatException(cfgSource + ": unsupported normalize_activations '" + norm
                            + "' (supported: none, expected_average_only_in, constant_norm_rescale, layer_norm)");
            };
            if (cfg.path("finetuning_scaling_factor").isBoolean()
                    && cfg.get("finetuning_scaling_factor").asBoolean()) {
                throw new SaeFormatException(cfgSource + ": finetuning_scaling_factor is not supported");
            }
            return new Config(dIn, dSae, architecture, k, applyBDec, normalization);
        }

        /**
         * Checks every tensor this architecture needs against d_in and d_sae from the header alone; returns the
         * name of the threshold tensor ({@code threshold}, else {@code log_threshold}), or null when none is used.
         */
        String requireShapes(SafetensorsFile weights) throws IOException {
            requireShape(weights, JumpReluSae.W_ENC, dIn, dSae);
            requireShape(weights, JumpReluSae.W_DEC, dSae, dIn);
            requireShape(weights, JumpReluSae.B_ENC, dSae);
            requireShape(weights, JumpReluSae.B_DEC, dIn);
            if (architecture != Architecture.JUMPRELU) {
                return null;
            }
            boolean logThreshold = !weights.tensors().containsKey(JumpReluSae.THRESHOLD)
                    && weights.tensors().containsKey("log_threshold");
            String name = logThreshold ? "log_threshold" : JumpReluSae.THRESHOLD;
            requireShape(weights, name, dSae);
            return name;
        }

        private static void requireShape(SafetensorsFile weights, String name, int... expected) throws IOException {
            int[] shape = weights.tensor(name).intShape();
            if (!Arrays.equals(shape, expected)) {
                throw SaeFormatException.of(
                        weights.file().toString(),
                        name,
                        "has shape " + Arrays.toString(shape) + ", expected " + Arrays.toString(expected)
                                + " from cfg.json d_in and d_sae (width mismatch)");
            }
        }

        private static int requiredInt(JsonNode cfg, String key, String source) throws SaeFormatException {
            JsonNode value = cfg.get(key);
            if (value == null || !value.isIntegralNumber() || !value.canConvertToInt() || value.asInt() <= 0) {
                throw new SaeFormatException(source + ": needs a positive integer '" + key + "', got " + value);
            }
            return value.asInt();
        }

        private static String stringOr(JsonNode cfg, String key, String fallback) {
            JsonNode value = cfg.get(key);
            return value != null && value.isTextual() ? value.asText() : fallback;
        }
    }

    @Override
    public int dIn() {
        return dIn;
    }

    @Override
    public int dSae() {
        return dSae;
    }

    public Architecture architecture() {
        return architecture;
    }

    /** k for TOPK, 0 otherwise. */
    public int k() {
        return k;
    }

    public boolean appliesBDecToInput() {
        return applyBDecToInput;
    }

    public Normalization normalization() {
        return normalization;
    }

    @Override
    public SparseCodes encode(float[] x, int rows) {
        JumpReluSae.requireInput(x, rows, dIn);
        float[] scale = null;
        float[] shift = null;
        float[] input = x;
        if (normalization != Normalization.NONE || applyBDecToInput) {
            input = x.clone();
            if (normalization != Normalization.NONE) {
                scale = new float[rows];
                shift = new float[rows];
                normalizeRows(input, rows, scale, shift);
            }
            if (applyBDecToInput) {
                for (int r = 0; r < rows; r++) {
                    for (int d = 0; d < dIn; d++) {
                        input[r * dIn + d] -= bDec[d];
                    }
                }
            }
        }
        SparseCodes.Builder codes =
                architecture == Architecture.TOPK ? encodeTopK(input, rows) : encodeAboveThreshold(input, rows);
        SparseCodes built = codes.build();
        return scale == null ? built : built.withOutputTransform(scale, shift);
    }

    private SparseCodes.Builder encodeAboveThreshold(float[] input, int rows) {
        SparseCodes.Builder codes = SparseCodes.builder(dSae);
        for (int r0 = 0; r0 < rows; r0 += encoder.maxRows()) {
            encoder.appendAbove(input, r0, Math.min(encoder.maxRows(), rows - r0), activeAbove, codes);
        }
        return codes;
    }

    private SparseCodes.Builder encodeTopK(float[] input, int rows) {
        SparseCodes.Builder codes = SparseCodes.builder(dSae);
        for (int r0 = 0; r0 < rows; r0 += encoder.maxRows()) {
            encoder.appendTopK(input, r0, Math.min(encoder.maxRows(), rows - r0), k, codes);
        }
        return codes;
    }

    /** In place; records the affine map that undoes it (SAELens' run_time_activation_norm_fn_out). */
    private void normalizeRows(float[] x, int rows, float[] scale, float[] shift) {
        for (int r = 0; r < rows; r++) {
            int o = r * dIn;
            if (normalization == Normalization.CONSTANT_NORM_RESCALE) {
                double squares = 0;
                for (int d = 0; d < dIn; d++) squares += (double) x[o + d] * x[o + d];
                double norm = Math.sqrt(squares);
                // a zero vector stays zero (SAELens would produce NaN)
                float coefficient = norm == 0 ? 1f : (float) (Math.sqrt(dIn) / norm);
                for (int d = 0; d < dIn; d++) x[o + d] *= coefficient;
                scale[r] = 1f / coefficient;
                shift[r] = 0f;
            } else {
                double sum = 0;
                for (int d = 0; d < dIn; d++) sum += x[o + d];
                float mu = (float) (sum / dIn);
                double squares = 0;
                for (int d = 0; d < dIn; d++) {
                    x[o + d] -= mu;
                    squares += (double) x[o + d] * x[o + d];
                }
                float std = dIn > 1 ? (float) Math.sqrt(squares / (dIn - 1)) : 0f; // torch.std: unbiased
                float divisor = std + LAYER_NORM_EPS;
                for (int d = 0; d < dIn; d++) x[o + d] /= divisor;
                scale[r] = std;
                shift[r] = mu;
            }
        }
    }

    @Override
    public float[] decode(SparseCodes codes) {
        return decoder.decode(codes);
    }

    @Override
    public void copyDecoderRows(int firstFeature, int count, float[] into) {
        decoder.copyRows(firstFeature, count, into);
    }

    /** Frees the encoder kernel's copy of W_enc (native memory for {@link MatmulBackend#TORCH}). */
    @Override
    public void close() {
        encoder.close();
    }

    @Override
    public String toString() {
        return "SaeLensSae{" + architecture.name().toLowerCase(Locale.ROOT) + (k > 0 ? " k=" + k : "") + ", d_in="
                + dIn + ", d_sae=" + dSae + ", apply_b_dec_to_input=" + applyBDecToInput + ", normalize="
                + normalization.name().toLowerCase(Locale.ROOT) + "}";
    }

    static List<String> supportedArchitectures() {
        return List.of("standard", "jumprelu", "topk");
    }
}
