package dev.scopeflow.sae.model;

import dev.scopeflow.sae.kernel.EncoderKernel;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.kernel.SparseDecoder;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.format.NpzReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A JumpReLU SAE as published in Gemma Scope ({@code params.npz}).
 *
 * <p>{@code pre = x · W_enc + b_enc}; {@code f = pre > threshold ? pre : 0}; a feature is active on a token
 * exactly when {@code f > 0} (so {@code threshold < pre <= 0} is not active). Decode is
 * {@code f · W_dec + b_dec}, over active features only. No input scaling, no b_dec subtraction.
 */
public final class JumpReluSae implements SparseAutoencoder {

    static final String W_ENC = "W_enc";
    static final String W_DEC = "W_dec";
    static final String B_ENC = "b_enc";
    static final String B_DEC = "b_dec";
    static final String THRESHOLD = "threshold";

    private final int dIn;
    private final int dSae;
    private final EncoderKernel encoder;
    /** max(threshold, 0): {@code pre > activeAbove} is exactly {@code pre > threshold && pre > 0}, one compare. */
    private final float[] activeAbove;

    private final SparseDecoder decoder;

    private JumpReluSae(
            int dIn,
            int dSae,
            float[] wEnc,
            float[] bEnc,
            float[] threshold,
            float[] wDec,
            float[] bDec,
            MatmulBackend backend,
            ComputeDevice device) {
        this.dIn = dIn;
        this.dSae = dSae;
        this.encoder = backend.create(wEnc, bEnc, dIn, dSae, device);
        this.activeAbove = activeAbove(threshold);
        this.decoder = new SparseDecoder(wDec, bDec, dSae, dIn);
    }

    /** {@code max(threshold, 0)} per feature: where a JumpReLU feature becomes active. */
    static float[] activeAbove(float[] threshold) {
        float[] out = new float[threshold.length];
        for (int j = 0; j < threshold.length; j++) {
            out[j] = Math.max(threshold[j], 0f);
        }
        return out;
    }

    /**
     * Loads a Gemma Scope {@code params.npz}: W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc [d_sae],
     * b_dec [d_in], threshold [d_sae]. Missing arrays, inconsistent shapes and NaN/Inf fail with the file and
     * array named.
     */
    public static JumpReluSae loadGemmaScope(Path paramsNpz) throws IOException {
        return loadGemmaScope(paramsNpz, MatmulBackend.JAVA);
    }

    /** As {@link #loadGemmaScope(Path)}, encoding with the given backend. */
    public static JumpReluSae loadGemmaScope(Path paramsNpz, MatmulBackend backend) throws IOException {
        return loadGemmaScope(paramsNpz, backend, ComputeDevice.CPU);
    }

    /** As {@link #loadGemmaScope(Path)}, encoding with the given backend on {@code device}. */
    public static JumpReluSae loadGemmaScope(Path paramsNpz, MatmulBackend backend, ComputeDevice device)
            throws IOException {
        try (NpzReader npz = NpzReader.open(paramsNpz)) {
            SaeDescription shape = describe(npz);
            try {
                return builder(shape.dIn(), shape.dSae())
                        .optSource(paramsNpz.toString())
                        .optBackend(backend)
                        .optDevice(device)
                        .setWEnc(npz.read(W_ENC).data())
                        .setBEnc(npz.read(B_ENC).data())
                        .setThreshold(npz.read(THRESHOLD).data())
                        .setWDec(npz.read(W_DEC).data())
                        .setBDec(npz.read(B_DEC).data())
                        .build();
            } catch (IllegalArgumentException e) {
                throw new SaeFormatException(e.getMessage(), e);
            }
        }
    }

    /** A Gemma Scope {@code params.npz} described from its arrays' {@code .npy} headers, no data read. */
    static SaeDescription describeGemmaScope(Path paramsNpz) throws IOException {
        try (NpzReader npz = NpzReader.open(paramsNpz)) {
            return describe(npz);
        }
    }

    /** Checks that all five arrays exist with consistent shapes, from their headers; d_in and d_sae from W_enc. */
    private static SaeDescription describe(NpzReader npz) throws IOException {
        String source = npz.file().toString();
        for (String name : new String[] {W_ENC, W_DEC, B_ENC, B_DEC, THRESHOLD}) {
            if (!npz.contains(name)) {
                throw SaeFormatException.of(
                        source,
                        name,
                        "missing (Gemma Scope params.npz needs W_enc, W_dec, " + "b_enc, b_dec, threshold; has: "
                                + String.join(", ", npz.arrayNames()) + ")");
            }
        }
        int[] wEnc = npz.shape(W_ENC);
        if (wEnc.length != 2 || wEnc[0] == 0 || wEnc[1] == 0) {
            throw SaeFormatException.of(
                    source, W_ENC, "has shape " + Arrays.toString(wEnc) + ", expected [d_in, d_sae] with both > 0");
        }
        int dIn = wEnc[0];
        int dSae = wEnc[1];
        requireShape(npz, W_DEC, dSae, dIn);
        requireShape(npz, B_ENC, dSae);
        requireShape(npz, B_DEC, dIn);
        requireShape(npz, THRESHOLD, dSae);
        return new SaeDescription("jumprelu", dIn, dSae);
    }

    private static void requireShape(NpzReader npz, String name, int... expected) throws IOException {
        int[] shape = npz.shape(name);
        if (!Arrays.equals(shape, expected)) {
            throw SaeFormatException.of(
                    npz.file().toString(),
                    name,
                    "has shape " + Arrays.toString(shape)
                            + ", expected " + Arrays.toString(expected) + " (d_in " + "and d_sae taken from W_enc "
                            + "[d_in, d_sae])");
        }
    }

    public static Builder builder(int dIn, int dSae) {
        return new Builder(dIn, dSae);
    }

    @Override
    public int dIn() {
        return dIn;
    }

    @Override
    public int dSae() {
        return dSae;
    }

    @Override
    public SparseCodes encode(float[] x, int rows) {
        requireInput(x, rows, dIn);
        SparseCodes.Builder codes = SparseCodes.builder(dSae);
        for (int r0 = 0; r0 < rows; r0 += encoder.maxRows()) {
            // f = pre > threshold ? pre : 0, and active means f > 0: pre > max(threshold, 0)
            encoder.appendAbove(x, r0, Math.min(encoder.maxRows(), rows - r0), activeAbove, codes);
        }
        return codes.build();
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

    static void requireInput(float[] x, int rows, int dIn) {
        if (rows < 0 || (long) rows * dIn != x.length) {
            throw new IllegalArgumentException(
                    "x has " + x.length + " values, expected rows " + rows + " x d_in " + dIn);
        }
    }

    @Override
    public String toString() {
        return "JumpReluSae{d_in=" + dIn + ", d_sae=" + dSae + "}";
    }

    /**
     * Builds a JumpReLU SAE from arrays in the file layout. All five are required; {@link #build()} checks
     * lengths against d_in and d_sae and rejects NaN/Inf. The arrays are owned by the SAE afterwards.
     */
    public static final class Builder {
        private final int dIn;
        private final int dSae;
        private String source = "JumpReluSae";
        private float[] wEnc;
        private float[] bEnc;
        private float[] threshold;
        private float[] wDec;
        private float[] bDec;
        private MatmulBackend backend = MatmulBackend.JAVA;
        private ComputeDevice device = ComputeDevice.CPU;

        private Builder(int dIn, int dSae) {
            if (dIn <= 0 || dSae <= 0) {
                throw new IllegalArgumentException("d_in and d_sae must be > 0, got " + dIn + " and " + dSae);
            }
            this.dIn = dIn;
            this.dSae = dSae;
        }

        /** Row-major [d_in x d_sae]. */
        public Builder setWEnc(float[] wEnc) {
            this.wEnc = wEnc;
            return this;
        }

        public Builder setBEnc(float[] bEnc) {
            this.bEnc = bEnc;
            return this;
        }

        public Builder setThreshold(float[] threshold) {
            this.threshold = threshold;
            return this;
        }

        /** Row-major [d_sae x d_in]. */
        public Builder setWDec(float[] wDec) {
            this.wDec = wDec;
            return this;
        }

        public Builder setBDec(float[] bDec) {
            this.bDec = bDec;
            return this;
        }

        /** The encoder matmul; {@link MatmulBackend#JAVA} unless set. */
        public Builder optBackend(MatmulBackend backend) {
            this.backend = java.util.Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** Where the encoder runs; {@link ComputeDevice#CPU} unless set. */
        public Builder optDevice(ComputeDevice device) {
            this.device = java.util.Objects.requireNonNull(device, "device");
            return this;
        }

        /** Where the weights came from, for error messages. */
        public Builder optSource(String source) {
            this.source = source;
            return this;
        }

        public JumpReluSae build() {
            WeightChecks checks = new WeightChecks(source);
            checks.require(W_ENC, wEnc, dIn, dSae);
            checks.require(W_DEC, wDec, dSae, dIn);
            checks.require(B_ENC, bEnc, dSae);
            checks.require(B_DEC, bDec, dIn);
            checks.require(THRESHOLD, threshold, dSae);
            return new JumpReluSae(dIn, dSae, wEnc, bEnc, threshold, wDec, bDec, backend, device);
        }
    }
}
