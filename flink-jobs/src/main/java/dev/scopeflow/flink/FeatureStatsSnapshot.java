package dev.scopeflow.flink;

/**
 * The complete statistics of one SAE in one run at some point of the stream. Snapshots are whole, not
 * deltas, and carry {@code version} = tokens counted so far: ClickHouse keeps the highest version per
 * feature, so writing a snapshot twice (a replay after a failure) can never double-count. Flink POJO.
 */
public class FeatureStatsSnapshot {
    public String runId;
    public String saeId;
    public long tokens;
    public long[] fireCounts;
    public double[] sums;
    public float[] maxes;

    public FeatureStatsSnapshot() {
    }

    public FeatureStatsSnapshot(String runId, String saeId, long tokens, long[] fireCounts, double[] sums,
                                float[] maxes) {
        this.runId = runId;
        this.saeId = saeId;
        this.tokens = tokens;
        this.fireCounts = fireCounts;
        this.sums = sums;
        this.maxes = maxes;
    }

    public long version() {
        return tokens;
    }
}
