package dev.scopeflow.sae.stats;

import dev.scopeflow.sae.kernel.SparseCodes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The k highest-activation tokens of every feature, as (doc, position, activation), ordered by activation
 * descending, then lower doc id, then lower position: a total order, so the kept set does not depend on the
 * order tokens arrive or partial results merge, and a replay produces identical rows.
 *
 * <p>Per feature a size-k heap with the worst kept example at its root; features allocate on first fire.
 * Merge is associative and commutative (exactly: no arithmetic). Compact versioned binary via
 * {@link #toBytes}.
 */
public final class TopExamples {

    public static final int DEFAULT_K = 20;

    /** "SFTE": ScopeFlow top examples. */
    private static final int MAGIC = 0x53465445;

    private static final byte VERSION = 1;

    /** One example: token {@code position} of document {@code doc}, where the feature reached {@code activation}. */
    public record Example(long doc, int position, float activation) {
        /** Best first: higher activation, then lower doc, then lower position. */
        public static final Comparator<Example> BEST_FIRST = (a, b) -> {
            if (a.activation != b.activation) {
                return a.activation > b.activation ? -1 : 1;
            }
            int byDoc = Long.compare(a.doc, b.doc);
            return byDoc != 0 ? byDoc : Integer.compare(a.position, b.position);
        };

        /** The binary form TopExamples and IntervalSamples share: activation, doc, then position as a varint. */
        void writeTo(BinaryWriter out) {
            out.writeFloat(activation);
            out.writeLong(doc);
            out.writeVarLong(position);
        }

        static Example readFrom(BinaryReader in) {
            float activation = in.readFloat();
            long doc = in.readLong();
            return new Example(doc, in.readVarIntInRange("position", 0, Integer.MAX_VALUE), activation);
        }
    }

    private final int dSae;
    private final int k;
    private final Heap[] heaps;

    public TopExamples(int dSae) {
        this(dSae, DEFAULT_K);
    }

    public TopExamples(int dSae, int k) {
        if (dSae <= 0 || k <= 0) {
            throw new IllegalArgumentException("dSae and k must be > 0, got " + dSae + " and " + k);
        }
        this.dSae = dSae;
        this.k = k;
        this.heaps = new Heap[dSae];
    }

    /** Offers every active feature of {@code row} as an example at (doc, position). */
    public void addRow(SparseCodes codes, int row, long doc, int position) {
        requireWidth(codes.dSae());
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, got " + position);
        }
        for (int i = codes.start(row); i < codes.end(row); i++) {
            offer(codes.feature(i), codes.value(i), doc, position);
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

    public void merge(TopExamples other) {
        requireWidth(other.dSae);
        if (other.k != k) {
            throw new IllegalArgumentException("k mismatch: " + k + " vs " + other.k);
        }
        for (int f = 0; f < dSae; f++) {
            Heap h = other.heaps[f];
            if (h != null) {
                for (int i = 0; i < h.size; i++) {
                    offer(f, h.activation[i], h.doc[i], h.position[i]);
                }
            }
        }
    }

    private void offer(int feature, float activation, long doc, int position) {
        Heap h = heaps[feature];
        if (h == null) {
            h = heaps[feature] = new Heap(k);
        }
        h.offer(activation, doc, position);
    }

    public int dSae() {
        return dSae;
    }

    public int k() {
        return k;
    }

    /** The kept examples of {@code feature}, best first (fewer than k when it fired less often). */
    public List<Example> examples(int feature) {
        Heap h = heaps[feature];
        List<Example> out = new ArrayList<>();
        if (h != null) {
            for (int i = 0; i < h.size; i++) {
                out.add(new Example(h.doc[i], h.position[i], h.activation[i]));
            }
        }
        out.sort(Example.BEST_FIRST);
        return out;
    }

    /**
     * Layout v1 (big-endian): magic "SFTE", version byte, varint dSae, varint k, varint number of features with
     * examples, then per such feature: varint gap from the previous index (+1), varint count, and per example
     * (best first) float activation, long doc, varint position.
     */
    public byte[] toBytes() {
        int nonEmpty = 0;
        for (Heap h : heaps) {
            if (h != null && h.size > 0) nonEmpty++;
        }
        BinaryWriter out = new BinaryWriter(16 + nonEmpty * 8);
        out.writeInt(MAGIC);
        out.writeByte(VERSION);
        out.writeVarLong(dSae);
        out.writeVarLong(k);
        out.writeVarLong(nonEmpty);
        int previous = -1;
        for (int f = 0; f < dSae; f++) {
            if (heaps[f] == null || heaps[f].size == 0) continue;
            out.writeVarLong(f - previous);
            previous = f;
            List<Example> examples = examples(f);
            out.writeVarLong(examples.size());
            for (Example e : examples) {
                e.writeTo(out);
            }
        }
        return out.toByteArray();
    }

    public static TopExamples fromBytes(byte[] bytes) {
        BinaryReader in = new BinaryReader(bytes, "TopExamples");
        in.expectHeader(MAGIC, VERSION);
        int dSae = in.readVarIntInRange("dSae", 1, Integer.MAX_VALUE);
        int k = in.readVarIntInRange("k", 1, Integer.MAX_VALUE);
        TopExamples top = new TopExamples(dSae, k);
        int nonEmpty = in.readVarIntInRange("features with examples", 0, dSae);
        int f = -1;
        for (int i = 0; i < nonEmpty; i++) {
            f += in.readVarIntInRange("feature gap", 1, dSae - 1 - f);
            int count = in.readVarIntInRange("example count", 1, k);
            for (int e = 0; e < count; e++) {
                Example example = Example.readFrom(in);
                top.offer(f, example.activation(), example.doc(), example.position());
            }
        }
        in.expectEnd();
        return top;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof TopExamples t)) return false;
        if (dSae != t.dSae || k != t.k) return false;
        for (int f = 0; f < dSae; f++) {
            if (!examples(f).equals(t.examples(f))) return false;
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 31 * dSae + k;
        for (int f = 0; f < dSae; f++) {
            if (heaps[f] != null && heaps[f].size > 0) {
                h = 31 * h + f;
                h = 31 * h + examples(f).hashCode();
            }
        }
        return h;
    }

    private void requireWidth(int otherDSae) {
        if (otherDSae != dSae) {
            throw new IllegalArgumentException("d_sae mismatch: " + dSae + " vs " + otherDSae);
        }
    }

    /** Bounded heap, worst kept example at index 0. */
    private static final class Heap {
        final float[] activation;
        final long[] doc;
        final int[] position;
        int size;

        Heap(int k) {
            activation = new float[k];
            doc = new long[k];
            position = new int[k];
        }

        void offer(float a, long d, int p) {
            if (size < activation.length) {
                set(size, a, d, p);
                siftUp(size++);
            } else if (better(a, d, p, 0)) {
                set(0, a, d, p);
                siftDown(0);
            }
        }

        /** Whether (a, d, p) ranks above the example at index i. */
        private boolean better(float a, long d, int p, int i) {
            if (a != activation[i]) return a > activation[i];
            if (d != doc[i]) return d < doc[i];
            return p < position[i];
        }

        private boolean betterAt(int i, int j) {
            return better(activation[i], doc[i], position[i], j);
        }

        private void siftUp(int i) {
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (!betterAt(parent, i)) break;
                swap(i, parent);
                i = parent;
            }
        }

        private void siftDown(int i) {
            while (true) {
                int left = 2 * i + 1;
                if (left >= size) return;
                int worst = left;
                if (left + 1 < size && betterAt(left, left + 1)) worst = left + 1;
                if (!betterAt(i, worst)) return;
                swap(i, worst);
                i = worst;
            }
        }

        private void set(int i, float a, long d, int p) {
            activation[i] = a;
            doc[i] = d;
            position[i] = p;
        }

        private void swap(int i, int j) {
            float a = activation[i];
            long d = doc[i];
            int p = position[i];
            set(i, activation[j], doc[j], position[j]);
            set(j, a, d, p);
        }
    }
}
