package dev.scopeflow.sae.stats;

import dev.scopeflow.sae.kernel.SparseCodes;
import java.util.Arrays;

/**
 * Reconstruction quality of one SAE over the tokens that count, as a mergeable accumulator.
 *
 * <ul>
 *   <li>{@link #l0()}: mean number of active features per token;</li>
 *   <li>{@link #mse()}: {@code Σ‖x − x̂‖² / (tokens · dIn)}, the mean over tokens and dimensions, and
 *       {@link #msePerToken()}: {@code Σ‖x − x̂‖² / tokens}, the squared error summed over dimensions and averaged
 *       over tokens (SAELens' {@code mse} since its PR #711);</li>
 *   <li>{@link #fvu()}: centred fraction of variance unexplained {@code Σ‖x − x̂‖² / Σ‖x − μ‖²} with μ the
 *       per-dimension mean over the same tokens (centred, as current SAELens' explained variance is), and
 *       {@link #explainedVariance()} = 1 − FVU;</li>
 *   <li>{@link #cosine()}: mean over tokens of cos(x, x̂), a token with a zero vector contributing 0;</li>
 *   <li>{@link #l2Ratio()}: mean over tokens of ‖x̂‖ / ‖x‖ (SAEBench's l2_ratio);</li>
 *   <li>{@link #relativeReconstructionBias()}: {@code E[‖x̂‖²] / E[x·x̂]}, Eq. 10 of the Gated SAE paper
 *       (arXiv 2404.16014) as SAEBench computes it per batch; here over all tokens seen, so it does not depend
 *       on how tokens were batched. 1 means no shrinkage, below 1 a reconstruction shrunk towards 0.</li>
 * </ul>
 *
 * <p>The raw sums behind them are kept and exposed too ({@link #sumSquaredError()}, {@link #sumInputNormSquared()},
 * {@link #sumReconNormSquared()}, {@link #sumDot()}, {@link #inputSums()}), so a results table can hold what every
 * peer's variant is computed from. Σ‖x − μ‖² itself is kept per dimension as a running mean and centred sum of squares (Welford; merged with
 * Chan et al.'s pairwise formula) rather than Σx and Σx², which cancel catastrophically on residual streams
 * whose outlier dimensions have a mean far larger than their spread. Merge is associative and commutative up
 * to double rounding.
 */
public final class ReconstructionStats {

    /** "SFRS": ScopeFlow reconstruction stats. */
    private static final int MAGIC = 0x53465253;

    /** v2 added Σ‖x‖² and Σx; v1 states are read by deriving both from the means and centred squares. */
    private static final byte VERSION = 2;

    private final int dIn;
    private long tokens;
    private long sumL0;
    private double sumSquaredError;
    private double sumCosine;
    private double sumL2Ratio;
    private double sumReconNormSquared;
    private double sumDot;
    private double sumInputNormSquared;
    /** Per-dimension running mean of x and centred sum of squares Σ(x − mean)². */
    private final double[] mean;

    private final double[] centredSquares;
    /** Per-dimension Σx, summed as is (the raw sum a table keeps). */
    private final double[] inputSums;

    public ReconstructionStats(int dIn) {
        if (dIn <= 0) {
            throw new IllegalArgumentException("dIn must be > 0, got " + dIn);
        }
        this.dIn = dIn;
        this.mean = new double[dIn];
        this.centredSquares = new double[dIn];
        this.inputSums = new double[dIn];
    }

    /**
     * Adds one token: input {@code x[xOffset .. xOffset+dIn)}, reconstruction
     * {@code xHat[xHatOffset .. xHatOffset+dIn)}, and its L0 (number of active features).
     */
    public void addRow(float[] x, int xOffset, float[] xHat, int xHatOffset, int l0) {
        if (xOffset < 0 || xOffset + dIn > x.length || xHatOffset < 0 || xHatOffset + dIn > xHat.length) {
            throw new IndexOutOfBoundsException("row of width " + dIn + " at " + xOffset + " / " + xHatOffset
                    + " outside x (" + x.length + ") or xHat (" + xHat.length + ")");
        }
        if (l0 < 0) {
            throw new IllegalArgumentException("l0 must be >= 0, got " + l0);
        }
        tokens++;
        sumL0 += l0;
        double error = 0;
        double xNorm = 0;
        double reconNorm = 0;
        double dot = 0;
        double n = tokens;
        for (int d = 0; d < dIn; d++) {
            double xv = x[xOffset + d];
            double rv = xHat[xHatOffset + d];
            double diff = xv - rv;
            error += diff * diff;
            xNorm += xv * xv;
            reconNorm += rv * rv;
            dot += xv * rv;
            double delta = xv - mean[d];
            mean[d] += delta / n;
            centredSquares[d] += delta * (xv - mean[d]);
            inputSums[d] += xv;
        }
        sumSquaredError += error;
        sumInputNormSquared += xNorm;
        sumReconNormSquared += reconNorm;
        sumDot += dot;
        double norms = Math.sqrt(xNorm) * Math.sqrt(reconNorm);
        sumCosine += norms == 0 ? 0 : dot / norms;
        sumL2Ratio += xNorm == 0 ? 0 : Math.sqrt(reconNorm) / Math.sqrt(xNorm);
    }

    /** Adds every row: {@code x} and {@code xHat} row-major {@code [codes.rows() x dIn]}, L0 from the codes. */
    public void addAll(float[] x, float[] xHat, SparseCodes codes) {
        long expected = (long) codes.rows() * dIn;
        if (x.length != expected || xHat.length != expected) {
            throw new IllegalArgumentException("x has " + x.length + " and xHat " + xHat.length
                    + " values, expected rows " + codes.rows() + " x dIn " + dIn);
        }
        for (int r = 0; r < codes.rows(); r++) {
            addRow(x, r * dIn, xHat, r * dIn, codes.l0(r));
        }
    }

    /** Adds {@code other} into this; {@code other} is unchanged. */
    public void merge(ReconstructionStats other) {
        if (other.dIn != dIn) {
            throw new IllegalArgumentException("d_in mismatch: these stats have " + dIn + ", got " + other.dIn);
        }
        if (other.tokens == 0) {
            return;
        }
        long total = tokens + other.tokens;
        double weightOther = (double) other.tokens / total;
        double cross = (double) tokens * other.tokens / total;
        for (int d = 0; d < dIn; d++) {
            double delta = other.mean[d] - mean[d];
            centredSquares[d] += other.centredSquares[d] + delta * delta * cross;
            mean[d] += delta * weightOther;
            inputSums[d] += other.inputSums[d];
        }
        tokens = total;
        sumL0 += other.sumL0;
        sumSquaredError += other.sumSquaredError;
        sumCosine += other.sumCosine;
        sumL2Ratio += other.sumL2Ratio;
        sumReconNormSquared += other.sumReconNormSquared;
        sumDot += other.sumDot;
        sumInputNormSquared += other.sumInputNormSquared;
    }

    public int dIn() {
        return dIn;
    }

    public long tokens() {
        return tokens;
    }

    public double l0() {
        return tokens == 0 ? Double.NaN : (double) sumL0 / tokens;
    }

    public double mse() {
        return tokens == 0 ? Double.NaN : sumSquaredError / ((double) tokens * dIn);
    }

    /** Σ‖x − x̂‖² / tokens: the squared error summed over dimensions, averaged over tokens. */
    public double msePerToken() {
        return tokens == 0 ? Double.NaN : sumSquaredError / tokens;
    }

    /** Σ‖x − x̂‖² over the tokens seen. */
    public double sumSquaredError() {
        return sumSquaredError;
    }

    /** Σ‖x‖² over the tokens seen. */
    public double sumInputNormSquared() {
        return sumInputNormSquared;
    }

    /** Σ‖x̂‖² over the tokens seen. */
    public double sumReconNormSquared() {
        return sumReconNormSquared;
    }

    /** Σ x·x̂ over the tokens seen. */
    public double sumDot() {
        return sumDot;
    }

    /** Per-dimension Σx over the tokens seen (a copy). */
    public double[] inputSums() {
        return inputSums.clone();
    }

    /** Σ‖x − μ‖² over the tokens seen, μ their per-dimension mean. */
    public double totalCentredVariance() {
        double total = 0;
        for (double c : centredSquares) {
            total += c;
        }
        return total;
    }

    public double fvu() {
        return tokens == 0 ? Double.NaN : sumSquaredError / totalCentredVariance();
    }

    public double explainedVariance() {
        return 1 - fvu();
    }

    public double cosine() {
        return tokens == 0 ? Double.NaN : sumCosine / tokens;
    }

    public double l2Ratio() {
        return tokens == 0 ? Double.NaN : sumL2Ratio / tokens;
    }

    public double relativeReconstructionBias() {
        return tokens == 0 ? Double.NaN : sumReconNormSquared / sumDot;
    }

    /** Per-dimension mean of x over the tokens seen (a copy). */
    public double[] mean() {
        return mean.clone();
    }

    public ReconstructionStats copy() {
        ReconstructionStats c = new ReconstructionStats(dIn);
        c.merge(this);
        return c;
    }

    // ---------------------------------------------------------------- serialization

    /**
     * Layout v2 (big-endian): magic "SFRS", version byte, varint dIn, varint tokens, varint ΣL0, doubles
     * Σerr², Σcos, Σl2ratio, Σ‖x̂‖², Σx·x̂, Σ‖x‖², then dIn means, dIn centred sums of squares and dIn sums of x.
     * v1 (read, no longer written) lacks Σ‖x‖² and the sums of x.
     */
    public byte[] toBytes() {
        BinaryWriter out = new BinaryWriter(64 + dIn * 16);
        out.writeInt(MAGIC);
        out.writeByte(VERSION);
        out.writeVarLong(dIn);
        out.writeVarLong(tokens);
        out.writeVarLong(sumL0);
        out.writeDouble(sumSquaredError);
        out.writeDouble(sumCosine);
        out.writeDouble(sumL2Ratio);
        out.writeDouble(sumReconNormSquared);
        out.writeDouble(sumDot);
        out.writeDouble(sumInputNormSquared);
        for (double m : mean) {
            out.writeDouble(m);
        }
        for (double c : centredSquares) {
            out.writeDouble(c);
        }
        for (double x : inputSums) {
            out.writeDouble(x);
        }
        return out.toByteArray();
    }

    public static ReconstructionStats fromBytes(byte[] bytes) {
        BinaryReader in = new BinaryReader(bytes, "ReconstructionStats");
        int version = in.expectHeader(MAGIC, 1, VERSION);
        ReconstructionStats s = new ReconstructionStats(in.readVarIntInRange("dIn", 1, Integer.MAX_VALUE));
        s.tokens = in.readVarLong("tokens");
        s.sumL0 = in.readVarLong("sum of L0");
        s.sumSquaredError = in.readDouble();
        s.sumCosine = in.readDouble();
        s.sumL2Ratio = in.readDouble();
        s.sumReconNormSquared = in.readDouble();
        s.sumDot = in.readDouble();
        if (version >= 2) {
            s.sumInputNormSquared = in.readDouble();
        }
        for (int d = 0; d < s.dIn; d++) {
            s.mean[d] = in.readDouble();
        }
        for (int d = 0; d < s.dIn; d++) {
            s.centredSquares[d] = in.readDouble();
        }
        if (version >= 2) {
            for (int d = 0; d < s.dIn; d++) {
                s.inputSums[d] = in.readDouble();
            }
        } else {
            // Σx = n·mean and Σ‖x‖² = Σ_d (centred squares + n·mean²): equal up to double rounding
            for (int d = 0; d < s.dIn; d++) {
                s.inputSums[d] = s.tokens * s.mean[d];
                s.sumInputNormSquared += s.centredSquares[d] + s.tokens * s.mean[d] * s.mean[d];
            }
        }
        in.expectEnd();
        return s;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ReconstructionStats s)) return false;
        return dIn == s.dIn
                && tokens == s.tokens
                && sumL0 == s.sumL0
                && Double.compare(sumSquaredError, s.sumSquaredError) == 0
                && Double.compare(sumCosine, s.sumCosine) == 0
                && Double.compare(sumL2Ratio, s.sumL2Ratio) == 0
                && Double.compare(sumReconNormSquared, s.sumReconNormSquared) == 0
                && Double.compare(sumDot, s.sumDot) == 0
                && Double.compare(sumInputNormSquared, s.sumInputNormSquared) == 0
                && Arrays.equals(mean, s.mean)
                && Arrays.equals(centredSquares, s.centredSquares)
                && Arrays.equals(inputSums, s.inputSums);
    }

    @Override
    public int hashCode() {
        int h = 31 * dIn + Long.hashCode(tokens);
        h = 31 * h + Long.hashCode(sumL0);
        h = 31 * h + Double.hashCode(sumSquaredError);
        h = 31 * h + Double.hashCode(sumDot);
        return 31 * h + Arrays.hashCode(centredSquares);
    }

    @Override
    public String toString() {
        return String.format(
                "ReconstructionStats{tokens=%d, l0=%.3f, mse=%.6g, fvu=%.6g, cosine=%.6f, rrb=%.6f}",
                tokens, l0(), mse(), fvu(), cosine(), relativeReconstructionBias());
    }
}
