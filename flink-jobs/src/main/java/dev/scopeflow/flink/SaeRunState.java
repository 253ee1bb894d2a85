package dev.scopeflow.flink;

import dev.scopeflow.sae.ActivationHistogram;
import dev.scopeflow.sae.FeatureStats;
import dev.scopeflow.sae.IntervalSamples;
import dev.scopeflow.sae.ReconstructionStats;
import dev.scopeflow.sae.SparseCodes;
import dev.scopeflow.sae.TopExamples;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Everything the job accumulates for one SAE in one run: per-feature statistics, top examples,
 * reconstruction metrics, activation histograms and interval samples, each an accumulator of sae-operators. Its binary form frames the accumulators'
 * own versioned forms, so state, committables and tests share one format.
 */
public final class SaeRunState {

    private static final int FORMAT = 1;

    private final String runId;
    private final String saeId;
    private final FeatureStats features;
    private final TopExamples topExamples;
    private final ReconstructionStats reconstruction;
    private final ActivationHistogram histogram;
    private final IntervalSamples intervalSamples;

    public SaeRunState(String runId, String saeId, FeatureStats features, TopExamples topExamples,
                       ReconstructionStats reconstruction, ActivationHistogram histogram,
                       IntervalSamples intervalSamples) {
        this.runId = runId;
        this.saeId = saeId;
        this.features = features;
        this.topExamples = topExamples;
        this.reconstruction = reconstruction;
        this.histogram = histogram;
        this.intervalSamples = intervalSamples;
    }

    /** Empty state for the SAE of {@code first}, sized from it. */
    static SaeRunState emptyFor(SaeCodesBatch first, int topK) {
        ReconstructionStats recon = ReconstructionStats.fromBytes(first.reconstruction);
        return new SaeRunState(first.runId, first.saeId, new FeatureStats(first.dSae), new TopExamples(first.dSae, topK),
                new ReconstructionStats(recon.dIn()), new ActivationHistogram(first.dSae), new IntervalSamples(first.dSae));
    }

    /** Adds one batch of codes (and its reconstruction statistics) for this SAE. */
    public void add(SaeCodesBatch batch) {
        SparseCodes codes = batch.toSparseCodes();
        features.addAll(codes);
        topExamples.addAll(codes, batch.docIds, batch.positions);
        reconstruction.merge(ReconstructionStats.fromBytes(batch.reconstruction));
        histogram.addAll(codes);
        intervalSamples.addAll(codes, batch.docIds, batch.positions);
    }

    public String runId() { return runId; }
    public String saeId() { return saeId; }
    public FeatureStats features() { return features; }
    public TopExamples topExamples() { return topExamples; }
    public ReconstructionStats reconstruction() { return reconstruction; }
    public ActivationHistogram histogram() { return histogram; }
    public IntervalSamples intervalSamples() { return intervalSamples; }

    /** Tokens counted: the version of every row written from this state. */
    public long tokens() {
        return features.tokens();
    }

    public SaeRunState copy() {
        return fromBytes(toBytes());
    }

    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(FORMAT);
            out.writeUTF(runId);
            out.writeUTF(saeId);
            writeBlob(out, features.toBytes());
            writeBlob(out, topExamples.toBytes());
            writeBlob(out, reconstruction.toBytes());
            writeBlob(out, histogram.toBytes());
            writeBlob(out, intervalSamples.toBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }

    public static SaeRunState fromBytes(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int format = in.readInt();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown SaeRunState format " + format + " (this build reads " + FORMAT + ")");
            }
            return new SaeRunState(in.readUTF(), in.readUTF(), FeatureStats.fromBytes(readBlob(in)),
                    TopExamples.fromBytes(readBlob(in)), ReconstructionStats.fromBytes(readBlob(in)),
                    ActivationHistogram.fromBytes(readBlob(in)), IntervalSamples.fromBytes(readBlob(in)));
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated SaeRunState (" + bytes.length + " bytes): " + e.getMessage(), e);
        }
    }

    private static void writeBlob(DataOutputStream out, byte[] blob) throws IOException {
        out.writeInt(blob.length);
        out.write(blob);
    }

    private static byte[] readBlob(DataInputStream in) throws IOException {
        byte[] blob = new byte[in.readInt()];
        in.readFully(blob);
        return blob;
    }
}
