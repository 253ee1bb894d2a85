package dev.scopeflow.flink.operators;

import dev.scopeflow.flink.types.SaeCodesBatch;
import dev.scopeflow.flink.types.SaeRunState;
import dev.scopeflow.flink.types.SaeRunStateSerializer;
import dev.scopeflow.flink.types.SaeStatsSnapshot;
import java.io.IOException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keeps one {@link SaeRunState} per (run, SAE) in keyed state, adds each batch of codes to it, and publishes
 * it as a whole {@link SaeStatsSnapshot} when {@link SnapshotTimers} fire. The accumulation is sae-operators'.
 */
public final class SaeStatsFunction extends KeyedProcessFunction<String, SaeCodesBatch, SaeStatsSnapshot> {

    private static final long serialVersionUID = 1L;

    private final int topK;
    private final long snapshotIntervalMillis;
    private transient ValueState<SaeRunState> state;

    public SaeStatsFunction(int topK, long snapshotIntervalMillis) {
        this.topK = topK;
        this.snapshotIntervalMillis = snapshotIntervalMillis;
    }

    @Override
    public void open(OpenContext openContext) {
        state = getRuntimeContext()
                .getState(new ValueStateDescriptor<>("sae-run-state", SaeRunStateSerializer.INSTANCE));
    }

    @Override
    public void processElement(SaeCodesBatch codes, Context ctx, Collector<SaeStatsSnapshot> out) throws IOException {
        SaeRunState current = state.value();
        boolean first = current == null;
        if (first) {
            current = SaeRunState.emptyFor(codes, topK);
        }
        current.add(codes);
        state.update(current);
        SnapshotTimers.schedule(ctx.timerService(), first, snapshotIntervalMillis);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<SaeStatsSnapshot> out) throws IOException {
        SaeRunState current = state.value();
        if (current != null) {
            out.collect(new SaeStatsSnapshot(current));
        }
    }
}
