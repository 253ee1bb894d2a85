package dev.scopeflow.sae.kernel;

import java.util.Arrays;

/**
 * The active features of a batch of tokens in CSR form: row {@code r} holds entries
 * {@code [start(r), end(r))}, each a feature index (strictly ascending within the row) and its activation
 * (always {@code > 0}: an entry exists exactly when the feature fires). Immutable.
 */
public final class SparseCodes {

    private final int dSae;
    private final int[] rowStart;
    private final int[] features;
    private final float[] values;
    /**
     * Per-row affine map back to the caller's activation space, set by SAEs that normalise each token before
     * encoding (SAELens constant_norm_rescale, layer_norm): decode multiplies by scale, then adds shift.
     * Null when the SAE works in the caller's space.
     */
    private final float[] outputScale;

    private final float[] outputShift;

    private SparseCodes(
            int dSae, int[] rowStart, int[] features, float[] values, float[] outputScale, float[] outputShift) {
        this.dSae = dSae;
        this.rowStart = rowStart;
        this.features = features;
        this.values = values;
        this.outputScale = outputScale;
        this.outputShift = outputShift;
    }

    /** These codes plus the per-row map decode applies to return to the input space. */
    public SparseCodes withOutputTransform(float[] scale, float[] shift) {
        if (scale.length != rows() || shift.length != rows()) {
            throw new IllegalArgumentException("output transform needs one scale and shift per row (" + rows() + ")");
        }
        return new SparseCodes(dSae, rowStart, features, values, scale, shift);
    }

    /** Whether decode must map rows back from a per-token normalised space. */
    public boolean hasOutputTransform() {
        return outputScale != null;
    }

    float outputScale(int row) {
        return outputScale == null ? 1f : outputScale[row];
    }

    float outputShift(int row) {
        return outputShift == null ? 0f : outputShift[row];
    }

    public static Builder builder(int dSae) {
        return new Builder(dSae);
    }

    /**
     * Sparse codes of a dense {@code [rows x dSae]} activation matrix, keeping entries {@code > 0}.
     * For tests and adapters; encoders build codes directly.
     */
    public static SparseCodes fromDense(float[] dense, int rows, int dSae) {
        if ((long) rows * dSae != dense.length) {
            throw new IllegalArgumentException(
                    "dense has " + dense.length + " values, expected rows " + rows + " x dSae " + dSae);
        }
        Builder b = builder(dSae);
        for (int r = 0; r < rows; r++) {
            int base = r * dSae;
            for (int f = 0; f < dSae; f++) {
                float v = dense[base + f];
                if (v > 0f) {
                    b.add(f, v);
                }
            }
            b.endRow();
        }
        return b.build();
    }

    public int dSae() {
        return dSae;
    }

    public int rows() {
        return rowStart.length - 1;
    }

    /** Total active entries over all rows. */
    public int nnz() {
        return rowStart[rowStart.length - 1];
    }

    public int start(int row) {
        return rowStart[row];
    }

    public int end(int row) {
        return rowStart[row + 1];
    }

    /** Number of active features on this row (its L0). */
    public int l0(int row) {
        return rowStart[row + 1] - rowStart[row];
    }

    public int feature(int k) {
        return features[k];
    }

    public float value(int k) {
        return values[k];
    }

    /** Dense {@code [rows x dSae]} copy, zeros where inactive. For tests and small batches. */
    public float[] toDense() {
        float[] dense = new float[Math.multiplyExact(rows(), dSae)];
        for (int r = 0; r < rows(); r++) {
            for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                dense[r * dSae + features[k]] = values[k];
            }
        }
        return dense;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof SparseCodes c)) return false;
        return dSae == c.dSae
                && Arrays.equals(rowStart, c.rowStart)
                && Arrays.equals(features, 0, nnz(), c.features, 0, c.nnz())
                && Arrays.equals(values, 0, nnz(), c.values, 0, c.nnz())
                && Arrays.equals(outputScale, c.outputScale)
                && Arrays.equals(outputShift, c.outputShift);
    }

    @Override
    public int hashCode() {
        int h = 31 * dSae + Arrays.hashCode(rowStart);
        for (int k = 0; k < nnz(); k++) {
            h = 31 * h + features[k];
            h = 31 * h + Float.floatToIntBits(values[k]);
        }
        return h;
    }

    @Override
    public String toString() {
        return "SparseCodes{rows=" + rows() + ", dSae=" + dSae + ", nnz=" + nnz() + "}";
    }

    /**
     * Appends rows in order: {@link #add} the row's active features in ascending order, then {@link #endRow}.
     * Checks order, range and positivity as it goes so a bad encoder fails at the source.
     */
    public static final class Builder {
        private final int dSae;
        private int[] rowStart = new int[17];
        private int rows;
        private int[] features = new int[256];
        private float[] values = new float[256];
        private int size;

        private Builder(int dSae) {
            if (dSae <= 0) {
                throw new IllegalArgumentException("dSae must be > 0, got " + dSae);
            }
            this.dSae = dSae;
        }

        public Builder add(int feature, float value) {
            if (feature < 0 || feature >= dSae) {
                throw new IllegalArgumentException("feature " + feature + " out of range [0, " + dSae + ")");
            }
            if (size > rowStart[rows] && features[size - 1] >= feature) {
                throw new IllegalArgumentException("features must ascend within a row: " + feature + " after "
                        + features[size - 1] + " on row " + rows);
            }
            if (!(value > 0f) || value == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException(
                        "active feature " + feature + " on row " + rows + " needs a finite value > 0, got " + value);
            }
            if (size == features.length) {
                int grown = Math.max(16, size + (size >> 1));
                features = Arrays.copyOf(features, grown);
                values = Arrays.copyOf(values, grown);
            }
            features[size] = feature;
            values[size] = value;
            size++;
            return this;
        }

        public Builder endRow() {
            if (rows + 2 > rowStart.length) {
                rowStart = Arrays.copyOf(rowStart, rowStart.length * 2);
            }
            rows++;
            rowStart[rows] = size;
            return this;
        }

        public int rowsSoFar() {
            return rows;
        }

        public SparseCodes build() {
            if (size != rowStart[rows]) {
                throw new IllegalStateException("last row not ended: call endRow() after its features");
            }
            return new SparseCodes(
                    dSae,
                    Arrays.copyOf(rowStart, rows + 1),
                    Arrays.copyOf(features, size),
                    Arrays.copyOf(values, size),
                    null,
                    null);
        }
    }
}
