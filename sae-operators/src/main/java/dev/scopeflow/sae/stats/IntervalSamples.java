package dev.scopeflow.sae.stats;

import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.stats.TopExamples.Example;
import java.util.ArrayList;
import java.util.List;

/**
 * Examples spread across each feature's activation range (Neuronpedia's "interval samples"), exact and
 * mergeable.
 *
 * <p><b>Intervals</b> are fixed, not relative to the feature's max (which is unknown until all data is seen, so
 * max-relative intervals cannot be merged exactly): 2 per decade on a log scale from 1e-3 to 1e3, plus
 * underflow {@code (0, 1e-3)} and overflow {@code [1e3, ∞)}, 14 in all — the edges and bin rule of
 * {@link LogBins} with 2 bins per decade, so the interval edges are every fifth {@link ActivationHistogram}
 * edge. <b>Samples</b>: within each (feature, interval), the {@code samplesPerInterval} firing tokens with the
 * smallest {@link #sampleKey(long, int) sample key}, a 64-bit hash of (doc, position) compared as a signed
 * long, ties by lower doc then lower position. That is a uniform random sample without replacement
 * (bottom-k sketch), and because it is a total order on tokens, the kept set does not depend on arrival or
 * merge order: {@link #merge} is exactly associative and commutative and replays are identical.
 */
public final class IntervalSamples {

    public static final int INTERVALS_PER_DECADE = 2;
    public static final int DEFAULT_SAMPLES_PER_INTERVAL = 5;

    /** "SFIS": ScopeFlow interval samples. */
    private static final int MAGIC = 0x53464953;

    private static final byte VERSION = 1;

    private final int dSae;
    private final int samplesPerInterval;
    private final LogBins intervals = new LogBins(INTERVALS_PER_DECADE);
    /** Per feature, allocated on first fire: intervals × samplesPerInterval slots. */
    private final Slots[] slots;

    public IntervalSamples(int dSae) {
        this(dSae, DEFAULT_SAMPLES_PER_INTERVAL);
    }

    public IntervalSamples(int dSae, int samplesPerInterval) {
        if (dSae <= 0 || samplesPerInterval <= 0) {
            throw new IllegalArgumentException(
                    "dSae and samplesPerInterval must be > 0, got " + dSae + " and " + samplesPerInterval);
        }
        this.dSae = dSae;
        this.samplesPerInterval = samplesPerInterval;
        this.slots = new Slots[dSae];
    }

    /**
     * The sampling priority of token (doc, position): SplitMix64's finaliser of
     * {@code doc · 0x9E3779B97F4A7C15 + position} (wrapping 64-bit arithmetic).
     */
    public static long sampleKey(long doc, int position) {
        long z = doc * 0x9E3779B97F4A7C15L + position;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Offers every active feature of {@code row} at (doc, position). */
    public void addRow(SparseCodes codes, int row, long doc, int position) {
        requireWidth(codes.dSae());
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, got " + position);
        }
        long key = sampleKey(doc, position);
        for (int k = codes.start(row); k < codes.end(row); k++) {
            float a = codes.value(k);
            offer(codes.feature(k), intervals.of(a), key, a, doc, position);
        }
    }

    /** Offers every row; {@code docs[r]} and {@code positions[r]} locate row r. */
    public void addAll(SparseCodes codes, long[] docs, int[] positions) {
        if (docs.length != codes.rows() || positions.length != codes.rows()) {
            throw new IllegalArgumentException("need one doc and position per row (" + codes.rows() + "), got "
                    + docs.length + " and " + positions.length);
        }
        for (int r = 0; r < codes.rows(); r++) {
            addRow(codes, r, docs[r], positions[r]);
        }
    }

    public void merge(IntervalSamples other) {
        requireWidth(other.dSae);
        if (other.samplesPerInterval != samplesPerInterval) {
            throw new IllegalArgumentException(
                    "samples per interval mismatch: " + samplesPerInterval + " vs " + other.samplesPerInterval);
        }
        for (int f = 0; f < dSae; f++) {
            Slots s = other.slots[f];
            if (s == null) continue;
            for (int interval = 0; interval < intervals.count(); interval++) {
                int base = interval * samplesPerInterval;
                for (int i = base; i < base + s.size[interval]; i++) {
                    offer(f, interval, s.key[i], s.activation[i], s.doc[i], s.position[i]);
                }
            }
        }
    }

    private void offer(int feature, int interval, long key, float activation, long doc, int position) {
        Slots s = slots[feature];
        if (s == null) {
            s = slots[feature] = new Slots(intervals.count(), samplesPerInterval);
        }
        s.offer(interval, key, activation, doc, position);
    }

    public int dSae() {
        return dSae;
    }

    public int samplesPerInterval() {
        return samplesPerInterval;
    }

    public int intervalCount() {
        return intervals.count();
    }

    /** Inclusive lower edge of {@code interval} (0 for the underflow interval 0). */
    public float lowerEdge(int interval) {
        return intervals.lower(checkInterval(interval));
    }

    /** Exclusive upper edge of {@code interval} (+∞ for the overflow interval). */
    public float upperEdge(int interval) {
        return intervals.upper(checkInterval(interval));
    }

    /** The kept samples of {@code feature} in {@code interval}, highest activation first (then doc, position). */
    public List<Example> samples(int feature, int interval) {
        checkInterval(interval);
        List<Example> out = new ArrayList<>();
        Slots s = slots[feature];
        if (s != null) {
            int base = interval * samplesPerInterval;
            for (int i = base; i < base + s.size[interval]; i++) {
                out.add(new Example(s.doc[i], s.position[i], s.activation[i]));
            }
        }
        out.sort(Example.BEST_FIRST);
        return out;
    }

    private int checkInterval(int interval) {
        if (interval < 0 || interval >= intervals.count()) {
            throw new IndexOutOfBoundsException("interval " + interval + " of " + intervals.count());
        }
        return interval;
    }

    // ---------------------------------------------------------------- serialization

    /**
     * Layout v1 (big-endian): magic "SFIS", version byte, varint dSae, varint samples per interval, varint
     * intervals per decade, varint interval count, varint number of features with samples, then per such feature
     * ascending: varint gap from the previous index (+1), varint number of non-empty intervals, and per such
     * interval ascending: varint gap (+1), varint count, then per sample (best first) float activation, long doc,
     * varint position. Sample keys are recomputed from (doc, position).
     */
    public byte[] toBytes() {
        int nonEmpty = 0;
        for (Slots s : slots) {
            if (s != null) nonEmpty++;
        }
        BinaryWriter out = new BinaryWriter(16 + nonEmpty * 32);
        out.writeInt(MAGIC);
        out.writeByte(VERSION);
        out.writeVarLong(dSae);
        out.writeVarLong(samplesPerInterval);
        out.writeVarLong(INTERVALS_PER_DECADE);
        out.writeVarLong(intervals.count());
        out.writeVarLong(nonEmpty);
        int previous = -1;
        for (int f = 0; f < dSae; f++) {
            Slots s = slots[f];
            if (s == null) continue;
            out.writeVarLong(f - previous);
            previous = f;
            int used = 0;
            for (int n : s.size) {
                if (n > 0) used++;
            }
            out.writeVarLong(used);
            int previousInterval = -1;
            for (int interval = 0; interval < intervals.count(); interval++) {
                if (s.size[interval] == 0) continue;
                out.writeVarLong(interval - previousInterval);
                previousInterval = interval;
                List<Example> examples = samples(f, interval);
                out.writeVarLong(examples.size());
                for (Example e : examples) {
                    e.writeTo(out);
                }
            }
        }
        return out.toByteArray();
    }

    public static IntervalSamples fromBytes(byte[] bytes) {
        BinaryReader in = new BinaryReader(bytes, "IntervalSamples");
        in.expectHeader(MAGIC, VERSION);
        int dSae = in.readVarIntInRange("dSae", 1, Integer.MAX_VALUE);
        int perInterval = in.readVarIntInRange("samples per interval", 1, Integer.MAX_VALUE);
        IntervalSamples samples = new IntervalSamples(dSae, perInterval);
        in.readVarIntInRange("intervals per decade", INTERVALS_PER_DECADE, INTERVALS_PER_DECADE);
        int count = in.readVarIntInRange("interval count", samples.intervalCount(), samples.intervalCount());
        int nonEmpty = in.readVarIntInRange("features with samples", 0, dSae);
        int f = -1;
        for (int i = 0; i < nonEmpty; i++) {
            f += in.readVarIntInRange("feature gap", 1, dSae - 1 - f);
            int used = in.readVarIntInRange("non-empty intervals", 1, count);
            int interval = -1;
            for (int j = 0; j < used; j++) {
                interval += in.readVarIntInRange("interval gap", 1, count - 1 - interval);
                int n = in.readVarIntInRange("sample count", 1, perInterval);
                for (int e = 0; e < n; e++) {
                    Example sample = Example.readFrom(in);
                    if (!(sample.activation() > 0) || samples.intervals.of(sample.activation()) != interval) {
                        throw in.corrupt("feature " + f + " sample activation " + sample.activation()
                                + " outside interval " + interval);
                    }
                    samples.offer(
                            f,
                            interval,
                            sampleKey(sample.doc(), sample.position()),
                            sample.activation(),
                            sample.doc(),
                            sample.position());
                }
            }
        }
        in.expectEnd();
        return samples;
    }

    // ---------------------------------------------------------------- identity

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof IntervalSamples s)) return false;
        if (dSae != s.dSae || samplesPerInterval != s.samplesPerInterval) return false;
        for (int f = 0; f < dSae; f++) {
            if ((slots[f] == null) != (s.slots[f] == null)) return false;
            for (int interval = 0; slots[f] != null && interval < intervals.count(); interval++) {
                if (!samples(f, interval).equals(s.samples(f, interval))) return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 31 * dSae + samplesPerInterval;
        for (int f = 0; f < dSae; f++) {
            if (slots[f] == null) continue;
            h = 31 * h + f;
            for (int interval = 0; interval < intervals.count(); interval++) {
                h = 31 * h + samples(f, interval).hashCode();
            }
        }
        return h;
    }

    @Override
    public String toString() {
        return "IntervalSamples{dSae=" + dSae + ", intervals=" + intervals.count() + ", perInterval="
                + samplesPerInterval + "}";
    }

    private void requireWidth(int otherDSae) {
        if (otherDSae != dSae) {
            throw new IllegalArgumentException("d_sae mismatch: " + dSae + " vs " + otherDSae);
        }
    }

    /**
     * Per interval a bounded set keeping the smallest (key, doc, position); slot ranges are contiguous. A full
     * interval remembers which entry sorts last, so the usual offer (a token that is not kept) is one comparison:
     * over a long run nearly every offer to a fired interval is refused, and scanning the kept entries each time was
     * the statistics operator's largest cost.
     */
    private static final class Slots {
        final int perInterval;
        final int[] size;
        /** Per full interval, the index of its entry that sorts last (the one a newcomer would replace). */
        final int[] worst;

        final long[] key;
        final float[] activation;
        final long[] doc;
        final int[] position;

        Slots(int intervals, int perInterval) {
            this.perInterval = perInterval;
            int n = intervals * perInterval;
            size = new int[intervals];
            worst = new int[intervals];
            key = new long[n];
            activation = new float[n];
            doc = new long[n];
            position = new int[n];
        }

        void offer(int interval, long k, float a, long d, int p) {
            int base = interval * perInterval;
            int n = size[interval];
            if (n < perInterval) {
                set(base + n, k, a, d, p);
                size[interval] = n + 1;
                if (n + 1 == perInterval) {
                    worst[interval] = findWorst(base);
                }
                return;
            }
            int w = worst[interval];
            if (before(k, d, p, key[w], doc[w], position[w])) {
                set(w, k, a, d, p);
                worst[interval] = findWorst(base);
            }
        }

        private int findWorst(int base) {
            int w = base;
            for (int i = base + 1; i < base + perInterval; i++) {
                if (before(key[w], doc[w], position[w], key[i], doc[i], position[i])) w = i;
            }
            return w;
        }

        private static boolean before(long k1, long d1, int p1, long k2, long d2, int p2) {
            if (k1 != k2) return k1 < k2;
            if (d1 != d2) return d1 < d2;
            return p1 < p2;
        }

        private void set(int i, long k, float a, long d, int p) {
            key[i] = k;
            activation[i] = a;
            doc[i] = d;
            position[i] = p;
        }
    }
}
