package dev.scopeflow.sae.stats;

import dev.scopeflow.sae.kernel.SparseCodes;
import java.util.function.Function;

/**
 * Every statistic ScopeFlow keeps for one SAE over the tokens that count: per-feature firing statistics, top
 * examples, activation histograms, interval samples and reconstruction quality. The streaming job keeps one per
 * (run, SAE) in keyed state and {@code scopeflow stats} one per file, so both compute the same numbers the
 * same way.
 *
 * <p>Tokens arrive in batches: {@link #addCodes} when the batch's reconstruction statistics were computed
 * elsewhere (the job computes them before its keyBy, where the dense input still is), {@link #addReconstructed}
 * when the caller has the input and its reconstruction. Both merge a per-batch {@link ReconstructionStats}, so
 * the same batches give bit-identical numbers on either path. {@link #merge} combines bundles exactly as its
 * accumulators do; {@link #toBytes} frames their own versioned forms behind a header of its own.
 */
public final class SaeStatistics {

    /** "SFSB": ScopeFlow statistics bundle. */
    private static final int MAGIC = 0x53465342;

    private static final byte VERSION = 1;

    private final FeatureStats features;
    private final TopExamples topExamples;
    private final ActivationHistogram histogram;
    private final IntervalSamples intervalSamples;
    private final ReconstructionStats reconstruction;

    /** Empty statistics for an SAE of {@code dSae} features reading {@code dIn}-wide activations. */
    public SaeStatistics(int dSae, int dIn, int topK) {
        this(
                new FeatureStats(dSae),
                new TopExamples(dSae, topK),
                new ActivationHistogram(dSae),
                new IntervalSamples(dSae),
                new ReconstructionStats(dIn));
    }

    private SaeStatistics(
            FeatureStats features,
            TopExamples topExamples,
            ActivationHistogram histogram,
            IntervalSamples intervalSamples,
            ReconstructionStats reconstruction) {
        this.features = features;
        this.topExamples = topExamples;
        this.histogram = histogram;
        this.intervalSamples = intervalSamples;
        this.reconstruction = reconstruction;
    }

    /**
     * Adds a batch of codes; row r is token {@code positions[r]} of document {@code docs[r]}, and
     * {@code batchReconstruction} holds the reconstruction statistics of exactly these rows.
     */
    public void addCodes(SparseCodes codes, long[] docs, int[] positions, ReconstructionStats batchReconstruction) {
        if (codes.dSae() != dSae()) {
            throw new IllegalArgumentException("codes have d_sae " + codes.dSae() + ", these statistics " + dSae());
        }
        if (batchReconstruction.tokens() != codes.rows()) {
            throw new IllegalArgumentException("reconstruction statistics of " + batchReconstruction.tokens()
                    + " tokens for a batch of " + codes.rows() + " rows");
        }
        topExamples.addAll(codes, docs, positions); // checks docs and positions first: nothing added on a mismatch
        features.addAll(codes);
        histogram.addAll(codes);
        intervalSamples.addAll(codes, docs, positions);
        reconstruction.merge(batchReconstruction);
    }

    /** Adds a batch from its input {@code x} and reconstruction {@code xHat}, row-major {@code [rows x dIn]}. */
    public void addReconstructed(float[] x, float[] xHat, SparseCodes codes, long[] docs, int[] positions) {
        ReconstructionStats batch = new ReconstructionStats(dIn());
        batch.addAll(x, xHat, codes);
        addCodes(codes, docs, positions, batch);
    }

    /** Adds {@code other} into this; {@code other} is unchanged. */
    public void merge(SaeStatistics other) {
        if (other.dSae() != dSae() || other.dIn() != dIn()) {
            throw new IllegalArgumentException("cannot merge statistics of d_sae " + other.dSae() + ", d_in "
                    + other.dIn() + " into d_sae " + dSae() + ", d_in " + dIn());
        }
        // checked up front so that a mismatch leaves this bundle unchanged
        if (other.topExamples.k() != topExamples.k()
                || other.intervalSamples.samplesPerInterval() != intervalSamples.samplesPerInterval()) {
            throw new IllegalArgumentException("cannot merge statistics keeping " + other.topExamples.k()
                    + " top examples and " + other.intervalSamples.samplesPerInterval() + " samples per interval into "
                    + topExamples.k() + " and " + intervalSamples.samplesPerInterval());
        }
        topExamples.merge(other.topExamples);
        intervalSamples.merge(other.intervalSamples);
        features.merge(other.features);
        histogram.merge(other.histogram);
        reconstruction.merge(other.reconstruction);
    }

    public int dSae() {
        return features.dSae();
    }

    public int dIn() {
        return reconstruction.dIn();
    }

    /** Tokens counted so far. */
    public long tokens() {
        return features.tokens();
    }

    public FeatureStats features() {
        return features;
    }

    public TopExamples topExamples() {
        return topExamples;
    }

    public ActivationHistogram histogram() {
        return histogram;
    }

    public IntervalSamples intervalSamples() {
        return intervalSamples;
    }

    public ReconstructionStats reconstruction() {
        return reconstruction;
    }

    public SaeStatistics copy() {
        return fromBytes(toBytes());
    }

    // ---------------------------------------------------------------- serialization

    /**
     * Layout v1 (big-endian): magic "SFSB", version byte, then the own versioned forms of feature stats, top
     * examples, histogram, interval samples and reconstruction stats, each as a varint length and its bytes.
     */
    public byte[] toBytes() {
        byte[][] parts = {
            features.toBytes(),
            topExamples.toBytes(),
            histogram.toBytes(),
            intervalSamples.toBytes(),
            reconstruction.toBytes()
        };
        int size = 5;
        for (byte[] part : parts) {
            size += part.length + 5;
        }
        BinaryWriter out = new BinaryWriter(size);
        out.writeInt(MAGIC);
        out.writeByte(VERSION);
        for (byte[] part : parts) {
            out.writeBlob(part);
        }
        return out.toByteArray();
    }

    public static SaeStatistics fromBytes(byte[] bytes) {
        BinaryReader in = new BinaryReader(bytes, "SaeStatistics");
        in.expectHeader(MAGIC, VERSION);
        FeatureStats features = part(in, "feature stats", FeatureStats::fromBytes);
        TopExamples top = part(in, "top examples", TopExamples::fromBytes);
        ActivationHistogram histogram = part(in, "histogram", ActivationHistogram::fromBytes);
        IntervalSamples intervals = part(in, "interval samples", IntervalSamples::fromBytes);
        ReconstructionStats reconstruction = part(in, "reconstruction stats", ReconstructionStats::fromBytes);
        in.expectEnd();
        int dSae = features.dSae();
        if (top.dSae() != dSae || histogram.dSae() != dSae || intervals.dSae() != dSae) {
            throw in.corrupt("parts disagree on d_sae: features " + dSae + ", top examples " + top.dSae()
                    + ", histogram " + histogram.dSae() + ", interval samples " + intervals.dSae());
        }
        if (reconstruction.tokens() != features.tokens()) {
            throw in.corrupt("parts disagree on tokens: features " + features.tokens() + ", reconstruction "
                    + reconstruction.tokens());
        }
        return new SaeStatistics(features, top, histogram, intervals, reconstruction);
    }

    private static <T> T part(BinaryReader in, String what, Function<byte[], T> parse) {
        byte[] blob = in.readBlob(what);
        try {
            return parse.apply(blob);
        } catch (IllegalArgumentException e) {
            throw in.corrupt(what + ": " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- identity

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof SaeStatistics s)) return false;
        return features.equals(s.features)
                && topExamples.equals(s.topExamples)
                && histogram.equals(s.histogram)
                && intervalSamples.equals(s.intervalSamples)
                && reconstruction.equals(s.reconstruction);
    }

    @Override
    public int hashCode() {
        int h = features.hashCode();
        h = 31 * h + topExamples.hashCode();
        h = 31 * h + histogram.hashCode();
        h = 31 * h + intervalSamples.hashCode();
        return 31 * h + reconstruction.hashCode();
    }

    @Override
    public String toString() {
        return "SaeStatistics{dSae=" + dSae() + ", dIn=" + dIn() + ", tokens=" + tokens() + "}";
    }
}
