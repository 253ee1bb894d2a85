package dev.scopeflow.sae.stats;

import dev.scopeflow.sae.kernel.SparseCodes;
import java.util.Arrays;

/**
 * Per-feature histogram of the activations of firing tokens (activation {@code > 0}) over fixed log-spaced
 * bins: 10 per decade from 1e-3 to 1e3, plus an underflow bin {@code (0, 1e-3)} and an overflow bin
 * {@code [1e3, ∞)}, 62 in all (edges and the bin rule: {@link LogBins}). Counts are exact, so {@link #merge} is
 * exactly associative and commutative. A feature's counts are allocated on its first fire. Compact versioned
 * binary via {@link #toBytes}.
 */
public final class ActivationHistogram {

    public static final int BINS_PER_DECADE = 10;

    /** "SFAH": ScopeFlow activation histogram. */
    private static final int MAGIC = 0x53464148;

    private static final byte VERSION = 1;

    private final int dSae;
    private final LogBins bins = new LogBins(BINS_PER_DECADE);
    private final long[][] counts;

    public ActivationHistogram(int dSae) {
        if (dSae <= 0) {
            throw new IllegalArgumentException("dSae must be > 0, got " + dSae);
        }
        this.dSae = dSae;
        this.counts = new long[dSae][];
    }

    /** Counts each active feature of token {@code row}. */
    public void addRow(SparseCodes codes, int row) {
        requireWidth(codes.dSae());
        for (int k = codes.start(row); k < codes.end(row); k++) {
            add(codes.feature(k), bins.of(codes.value(k)), 1);
        }
    }

    public void addAll(SparseCodes codes) {
        requireWidth(codes.dSae());
        for (int r = 0; r < codes.rows(); r++) {
            addRow(codes, r);
        }
    }

    /** Adds {@code other} into this; {@code other} is unchanged. */
    public void merge(ActivationHistogram other) {
        requireWidth(other.dSae);
        for (int f = 0; f < dSae; f++) {
            long[] theirs = other.counts[f];
            if (theirs != null) {
                for (int b = 0; b < theirs.length; b++) {
                    if (theirs[b] != 0) add(f, b, theirs[b]);
                }
            }
        }
    }

    private void add(int feature, int bin, long n) {
        long[] c = counts[feature];
        if (c == null) {
            c = counts[feature] = new long[bins.count()];
        }
        c[bin] += n;
    }

    public int dSae() {
        return dSae;
    }

    /** Number of bins: underflow, 60 log-spaced, overflow. */
    public int binCount() {
        return bins.count();
    }

    /** Inclusive lower edge of {@code bin}: 0 for the underflow bin 0, else {@code (float) 10^(-3 + (bin-1)/10)}. */
    public float lowerEdge(int bin) {
        return bins.lower(checkBin(bin));
    }

    /** Exclusive upper edge of {@code bin}; +∞ for the overflow bin. */
    public float upperEdge(int bin) {
        return bins.upper(checkBin(bin));
    }

    /** Bin an activation {@code > 0} falls in. */
    public int binOf(float activation) {
        if (!(activation > 0)) {
            throw new IllegalArgumentException("only activations > 0 are binned, got " + activation);
        }
        return bins.of(activation);
    }

    public long count(int feature, int bin) {
        long[] c = counts[feature];
        return c == null ? 0 : c[checkBin(bin)];
    }

    /** A copy of the feature's counts, one per bin (all zero if it never fired). */
    public long[] counts(int feature) {
        long[] c = counts[feature];
        return c == null ? new long[bins.count()] : c.clone();
    }

    private int checkBin(int bin) {
        if (bin < 0 || bin >= bins.count()) {
            throw new IndexOutOfBoundsException("bin " + bin + " of " + bins.count());
        }
        return bin;
    }

    // ---------------------------------------------------------------- serialization

    /**
     * Layout v1 (big-endian): magic "SFAH", version byte, varint dSae, varint bins per decade, varint bin count,
     * varint number of features with counts, then per such feature in ascending order: varint gap from the
     * previous index (+1), varint number of non-empty bins, and per non-empty bin ascending: varint gap from the
     * previous bin (+1), varint count.
     */
    public byte[] toBytes() {
        int nonEmpty = 0;
        for (long[] c : counts) {
            if (c != null) nonEmpty++;
        }
        BinaryWriter out = new BinaryWriter(16 + nonEmpty * 12);
        out.writeInt(MAGIC);
        out.writeByte(VERSION);
        out.writeVarLong(dSae);
        out.writeVarLong(BINS_PER_DECADE);
        out.writeVarLong(bins.count());
        out.writeVarLong(nonEmpty);
        int previous = -1;
        for (int f = 0; f < dSae; f++) {
            long[] c = counts[f];
            if (c == null) continue;
            out.writeVarLong(f - previous);
            previous = f;
            int used = 0;
            for (long n : c) {
                if (n != 0) used++;
            }
            out.writeVarLong(used);
            int previousBin = -1;
            for (int b = 0; b < c.length; b++) {
                if (c[b] == 0) continue;
                out.writeVarLong(b - previousBin);
                previousBin = b;
                out.writeVarLong(c[b]);
            }
        }
        return out.toByteArray();
    }

    public static ActivationHistogram fromBytes(byte[] bytes) {
        BinaryReader in = new BinaryReader(bytes, "ActivationHistogram");
        in.expectHeader(MAGIC, VERSION);
        ActivationHistogram h = new ActivationHistogram(in.readVarIntInRange("dSae", 1, Integer.MAX_VALUE));
        in.readVarIntInRange("bins per decade", BINS_PER_DECADE, BINS_PER_DECADE);
        int binCount = in.readVarIntInRange("bin count", h.bins.count(), h.bins.count());
        int nonEmpty = in.readVarIntInRange("features with counts", 0, h.dSae);
        int f = -1;
        for (int i = 0; i < nonEmpty; i++) {
            f += in.readVarIntInRange("feature gap", 1, h.dSae - 1 - f);
            int used = in.readVarIntInRange("non-empty bins", 1, binCount);
            int b = -1;
            for (int j = 0; j < used; j++) {
                b += in.readVarIntInRange("bin gap", 1, binCount - 1 - b);
                long n = in.readVarLong("count");
                if (n == 0) {
                    throw in.corrupt("feature " + f + " bin " + b + " written with count 0");
                }
                h.add(f, b, n);
            }
        }
        in.expectEnd();
        return h;
    }

    // ---------------------------------------------------------------- identity

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ActivationHistogram h)) return false;
        return dSae == h.dSae && Arrays.deepEquals(counts, h.counts);
    }

    @Override
    public int hashCode() {
        return 31 * dSae + Arrays.deepHashCode(counts);
    }

    @Override
    public String toString() {
        return "ActivationHistogram{dSae=" + dSae + ", bins=" + bins.count() + "}";
    }

    private void requireWidth(int otherDSae) {
        if (otherDSae != dSae) {
            throw new IllegalArgumentException("d_sae mismatch: this histogram has " + dSae + ", got " + otherDSae);
        }
    }
}
