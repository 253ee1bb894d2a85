package dev.scopeflow.flink;

import dev.scopeflow.sae.FeatureStats;

/**
 * The complete statistics of one SAE in one run at a point of the stream, as the accumulators' own binary
 * form. Snapshots are whole, not deltas, and carry {@code version} = tokens counted so far: ClickHouse keeps
 * the highest version per row key, so committing a snapshot twice (a replay after a failure) can never
 * double-count. Flink POJO; also the sink's committable.
 */
public class SaeStatsSnapshot {
    public String runId;
    public String saeId;
    public long version;
    /** {@link FeatureStats#toBytes()}. */
    public byte[] featureStats;

    public SaeStatsSnapshot() {
    }

    public SaeStatsSnapshot(String runId, String saeId, FeatureStats stats) {
        this.runId = runId;
        this.saeId = saeId;
        this.version = stats.tokens();
        this.featureStats = stats.toBytes();
    }

    public String key() {
        return SaeCodesBatch.statsKey(runId, saeId);
    }
}
