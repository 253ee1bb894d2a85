package dev.scopeflow.sae.stats;

import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.schemas.results.SaeSummary;
import java.util.Arrays;

/**
 * Per-feature firing statistics of one SAE over the tokens that count: tokens seen, and per feature the number
 * of tokens it fired on (activation {@code > 0}), the sum and sum of squares of its activations when firing
 * (double accumulators) and its maximum activation (0 when it never fired).
 *
 * <p>A mergeable accumulator: {@link #merge} is associative and commutative (counts and max exactly; sums up to
 * double rounding), so partial stats from parallel tasks combine in any order. {@link #toBytes} is the
 * compact, versioned state format used by the streaming jobs; only features that fired are written.
 */
public final class FeatureStats {

    /** "SFFS": ScopeFlow feature stats. */
    private static final int MAGIC = 0x53464653;

    private static final byte VERSION = 1;

    private final int dSae;
    private long tokens;
    private final long[] fireCount;
    private final double[] sum;
    private final double[] sumSquares;
    private final float[] max;

    public FeatureStats(int dSae) {
        if (dSae <= 0) {
            throw new IllegalArgumentException("dSae must be > 0, got " + dSae);
        }
        this.dSae = dSae;
        this.fireCount = new long[dSae];
        this.sum = new double[dSae];
        this.sumSquares = new double[dSae];
        this.max = new float[dSae];
    }

    /** Counts token {@code row} of {@code codes} and each feature active on it. */
    public void addRow(SparseCodes codes, int row) {
        requireWidth(codes.dSae());
        if (row < 0 || row >= codes.rows()) {
            throw new IndexOutOfBoundsException("row " + row + " of " + codes.rows());
        }
        tokens++;
        for (int k = codes.start(row); k < codes.end(row); k++) {
            int f = codes.feature(k);
            float v = codes.value(k);
            fireCount[f]++;
            sum[f] += v;
            sumSquares[f] += (double) v * v;
            if (v > max[f]) {
                max[f] = v;
            }
        }
    }

    /** Counts every row of {@code codes}. */
    public void addAll(SparseCodes codes) {
        requireWidth(codes.dSae());
        for (int r = 0; r < codes.rows(); r++) {
            addRow(codes, r);
        }
    }

    /** Adds {@code other} into this; {@code other} is unchanged. */
    public void merge(FeatureStats other) {
        requireWidth(other.dSae);
        tokens += other.tokens;
        for (int f = 0; f < dSae; f++) {
            if (other.fireCount[f] == 0) {
                continue;
            }
            fireCount[f] += other.fireCount[f];
            sum[f] += other.sum[f];
            sumSquares[f] += other.sumSquares[f];
            max[f] = Math.max(max[f], other.max[f]);
        }
    }

    public int dSae() {
        return dSae;
    }

    public long tokens() {
        return tokens;
    }

    public long fireCount(int feature) {
        return fireCount[feature];
    }

    /** Sum of the feature's activations over the tokens it fired on. */
    public double sum(int feature) {
        return sum[feature];
    }

    public double sumOfSquares(int feature) {
        return sumSquares[feature];
    }

    /** Largest activation seen, 0 when the feature never fired. */
    public float max(int feature) {
        return max[feature];
    }

    /** Fire count / tokens; 0 before any token. */
    public double density(int feature) {
        return tokens == 0 ? 0 : (double) fireCount[feature] / tokens;
    }

    /** Mean activation when firing; 0 for a feature that never fired. */
    public double meanWhenFiring(int feature) {
        return fireCount[feature] == 0 ? 0 : sum[feature] / fireCount[feature];
    }

    /**
     * Dead, dense and SAEBench's alive / over 1 % / over 10 % fractions of these counts, computed as they are for
     * rows read back from ClickHouse; a summary of merged stats is the summary of the whole.
     */
    public SaeSummary summary(double denseThreshold) {
        return SaeSummary.ofFeatures(dSae, tokens, f -> fireCount[f], denseThreshold);
    }

    public SaeSummary summary() {
        return summary(SaeSummary.DEFAULT_DENSE_THRESHOLD);
    }

    public FeatureStats copy() {
        FeatureStats c = new FeatureStats(dSae);
        c.merge(this);
        return c;
    }

    // ---------------------------------------------------------------- serialization

    /**
     * Layout v1 (big-endian): magic "SFFS", version byte, varint dSae, varint tokens, varint number of fired
     * features, then per fired feature in ascending order: varint gap from the previous index (+1), varint
     * fire count, double sum, double sum of squares, float max.
     */
    public byte[] toBytes() {
        int fired = 0;
        for (long c : fireCount) {
            if (c > 0) fired++;
        }
        BinaryWriter out = new BinaryWriter(16 + fired * 24);
        out.writeInt(MAGIC);
        out.writeByte(VERSION);
        out.writeVarLong(dSae);
        out.writeVarLong(tokens);
        out.writeVarLong(fired);
        int previous = -1;
        for (int f = 0; f < dSae; f++) {
            if (fireCount[f] == 0) continue;
            out.writeVarLong(f - previous);
            previous = f;
            out.writeVarLong(fireCount[f]);
            out.writeDouble(sum[f]);
            out.writeDouble(sumSquares[f]);
            out.writeFloat(max[f]);
        }
        return out.toByteArray();
    }

    public static FeatureStats fromBytes(byte[] bytes) {
        BinaryReader in = new BinaryReader(bytes, "FeatureStats");
        in.expectHeader(MAGIC, VERSION);
        int dSae = in.readVarIntInRange("dSae", 1, Integer.MAX_VALUE);
        FeatureStats stats = new FeatureStats(dSae);
        stats.tokens = in.readVarLong("tokens");
        int fired = in.readVarIntInRange("fired features", 0, dSae);
        int f = -1;
        for (int i = 0; i < fired; i++) {
            f += in.readVarIntInRange("feature gap", 1, dSae - 1 - f);
            stats.fireCount[f] = in.readVarLong("fire count");
            if (stats.fireCount[f] == 0 || stats.fireCount[f] > stats.tokens) {
                throw in.corrupt("feature " + f + " fire count " + stats.fireCount[f] + " not in [1, tokens "
                        + stats.tokens + "]");
            }
            stats.sum[f] = in.readDouble();
            stats.sumSquares[f] = in.readDouble();
            stats.max[f] = in.readFloat();
        }
        in.expectEnd();
        return stats;
    }

    // ---------------------------------------------------------------- identity

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof FeatureStats s)) return false;
        return dSae == s.dSae
                && tokens == s.tokens
                && Arrays.equals(fireCount, s.fireCount)
                && Arrays.equals(sum, s.sum)
                && Arrays.equals(sumSquares, s.sumSquares)
                && Arrays.equals(max, s.max);
    }

    @Override
    public int hashCode() {
        int h = 31 * dSae + Long.hashCode(tokens);
        h = 31 * h + Arrays.hashCode(fireCount);
        h = 31 * h + Arrays.hashCode(sum);
        h = 31 * h + Arrays.hashCode(sumSquares);
        return 31 * h + Arrays.hashCode(max);
    }

    @Override
    public String toString() {
        int alive = 0;
        for (long c : fireCount) {
            if (c > 0) alive++;
        }
        return "FeatureStats{dSae=" + dSae + ", tokens=" + tokens + ", alive=" + alive + "}";
    }

    private void requireWidth(int otherDSae) {
        if (otherDSae != dSae) {
            throw new IllegalArgumentException("d_sae mismatch: these stats have " + dSae + ", got " + otherDSae);
        }
    }
}
