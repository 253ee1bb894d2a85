package dev.scopeflow.flink.types;

import dev.scopeflow.sae.stats.BinaryReader;
import dev.scopeflow.sae.stats.BinaryWriter;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.sae.stats.SaeStatistics;
import java.util.Objects;

/**
 * What the job keeps for one SAE in one run: the key (run id, SAE id) and sae-operators' {@link SaeStatistics}.
 * Its binary form is the key followed by the bundle's own versioned form, so state, committables and tests
 * share one format.
 */
public final class SaeRunState {

    /** 2: the statistics as one {@link SaeStatistics} (format 1 framed the five accumulators itself). */
    private static final int FORMAT = 2;

    private final String runId;
    private final String saeId;
    private final SaeStatistics statistics;

    public SaeRunState(String runId, String saeId, SaeStatistics statistics) {
        this.runId = runId;
        this.saeId = saeId;
        this.statistics = statistics;
    }

    /** Empty state for the SAE of {@code first}, sized from it. */
    public static SaeRunState emptyFor(SaeCodesBatch first, int topK) {
        int dIn = ReconstructionStats.fromBytes(first.reconstruction).dIn();
        return new SaeRunState(first.runId, first.saeId, new SaeStatistics(first.dSae, dIn, topK));
    }

    /** Adds one batch of codes (and its reconstruction statistics) for this SAE. */
    public void add(SaeCodesBatch batch) {
        statistics.addCodes(
                batch.toSparseCodes(),
                batch.docIds,
                batch.positions,
                ReconstructionStats.fromBytes(batch.reconstruction));
    }

    public String runId() {
        return runId;
    }

    public String saeId() {
        return saeId;
    }

    public SaeStatistics statistics() {
        return statistics;
    }

    /** Tokens counted: the version of every row written from this state. */
    public long tokens() {
        return statistics.tokens();
    }

    /** Equal key and equal statistics: what a state round trip must preserve. */
    @Override
    public boolean equals(Object o) {
        return o instanceof SaeRunState other
                && runId.equals(other.runId)
                && saeId.equals(other.saeId)
                && statistics.equals(other.statistics);
    }

    @Override
    public int hashCode() {
        return Objects.hash(runId, saeId, statistics);
    }

    public SaeRunState copy() {
        return new SaeRunState(runId, saeId, statistics.copy());
    }

    /** Layout: int format, run id, SAE id (varint length + UTF-8 each), varint length + {@link SaeStatistics#toBytes()}. */
    public byte[] toBytes() {
        byte[] stats = statistics.toBytes();
        BinaryWriter out = new BinaryWriter(stats.length + runId.length() + saeId.length() + 24);
        out.writeInt(FORMAT);
        out.writeString(runId);
        out.writeString(saeId);
        out.writeBlob(stats);
        return out.toByteArray();
    }

    public static SaeRunState fromBytes(byte[] bytes) {
        BinaryReader in = new BinaryReader(bytes, "SaeRunState");
        int format = in.readInt();
        if (format != FORMAT) {
            throw in.corrupt("unknown SaeRunState format " + format + " (this build reads " + FORMAT + ")");
        }
        String runId = in.readString("run id");
        String saeId = in.readString("SAE id");
        SaeStatistics statistics = SaeStatistics.fromBytes(in.readBlob("statistics"));
        in.expectEnd();
        return new SaeRunState(runId, saeId, statistics);
    }
}
