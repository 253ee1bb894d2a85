package dev.scopeflow.flink.operators;

import dev.scopeflow.flink.types.RunProgress;
import java.io.IOException;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Sums per-record {@link RunProgress} deltas per (run, site) ({@link RunProgress#key()}) in keyed state and
 * publishes the totals on {@link SnapshotTimers}.
 */
public final class RunProgressFunction extends KeyedProcessFunction<String, RunProgress, RunProgress> {

    private static final long serialVersionUID = 1L;

    private final long snapshotIntervalMillis;
    private transient ValueState<RunProgress> total;

    public RunProgressFunction(long snapshotIntervalMillis) {
        this.snapshotIntervalMillis = snapshotIntervalMillis;
    }

    @Override
    public void open(OpenContext openContext) {
        total = getRuntimeContext().getState(new ValueStateDescriptor<>("run-progress", RunProgress.class));
    }

    @Override
    public void processElement(RunProgress delta, Context ctx, Collector<RunProgress> out) throws IOException {
        RunProgress current = total.value();
        total.update(current == null ? delta : current.plus(delta));
        SnapshotTimers.schedule(ctx.timerService(), current == null, snapshotIntervalMillis);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<RunProgress> out) throws IOException {
        RunProgress current = total.value();
        if (current != null) {
            out.collect(current);
        }
    }
}
