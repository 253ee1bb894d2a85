package dev.scopeflow.flink;

import dev.scopeflow.sae.FeatureStats;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

import java.io.IOException;

/**
 * Keeps one {@link FeatureStats} per (run, SAE) in keyed state and publishes it as a whole
 * {@link SaeStatsSnapshot}: at end of input (the final watermark fires the end-of-time timer) and, when
 * configured, every snapshot interval of processing time. The accumulation itself is sae-operators' code.
 */
public final class FeatureStatsFunction extends KeyedProcessFunction<String, SaeCodesBatch, SaeStatsSnapshot> {

    private static final long serialVersionUID = 1L;

    private final long snapshotIntervalMillis;

    private transient ValueState<FeatureStats> stats;
    private transient ValueState<String> runId;
    private transient ValueState<String> saeId;

    public FeatureStatsFunction(long snapshotIntervalMillis) {
        this.snapshotIntervalMillis = snapshotIntervalMillis;
    }

    @Override
    public void open(OpenContext openContext) {
        stats = getRuntimeContext().getState(new ValueStateDescriptor<>("feature-stats", FeatureStatsSerializer.INSTANCE));
        runId = getRuntimeContext().getState(new ValueStateDescriptor<>("run-id", String.class));
        saeId = getRuntimeContext().getState(new ValueStateDescriptor<>("sae-id", String.class));
    }

    @Override
    public void processElement(SaeCodesBatch codes, Context ctx, Collector<SaeStatsSnapshot> out) throws IOException {
        FeatureStats current = stats.value();
        if (current == null) {
            current = new FeatureStats(codes.dSae);
            runId.update(codes.runId);
            saeId.update(codes.saeId);
            ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
        }
        current.addAll(codes.toSparseCodes());
        stats.update(current);
        if (snapshotIntervalMillis > 0) {
            // Aligned to the interval, so all rows arriving within one interval share (deduplicate) one timer.
            long now = ctx.timerService().currentProcessingTime();
            ctx.timerService().registerProcessingTimeTimer(now - now % snapshotIntervalMillis + snapshotIntervalMillis);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SaeStatsSnapshot> out) throws IOException {
        FeatureStats current = stats.value();
        if (current == null) {
            return;
        }
        out.collect(new SaeStatsSnapshot(runId.value(), saeId.value(), current));
    }
}
