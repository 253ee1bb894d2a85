package dev.scopeflow.flink.operators;

import dev.scopeflow.flink.types.Total;
import java.io.IOException;
import java.util.Locale;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Sums per-record deltas per key ({@link Total#key()}: run progress per (run, site), downstream sums per
 * (run, SAE)) in keyed state and publishes the totals on {@link SnapshotTimers}.
 */
public final class KeyedTotalFunction<T extends Total<T>> extends KeyedProcessFunction<String, T, T>
        implements ResultTypeQueryable<T> {

    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final long snapshotIntervalMillis;
    private transient ValueState<T> total;

    /** {@code type} is a Flink POJO: its state and output use Flink's POJO serializer. */
    public KeyedTotalFunction(Class<T> type, long snapshotIntervalMillis) {
        this.type = type;
        this.snapshotIntervalMillis = snapshotIntervalMillis;
    }

    @Override
    public void open(OpenContext openContext) {
        total = getRuntimeContext().getState(new ValueStateDescriptor<>(stateName(type), type));
    }

    /** The state's name: {@code run-progress} for RunProgress as before, so existing savepoints restore. */
    static String stateName(Class<?> type) {
        return type.getSimpleName().replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    @Override
    public void processElement(T delta, Context ctx, Collector<T> out) throws IOException {
        T current = total.value();
        total.update(current == null ? delta : current.plus(delta));
        SnapshotTimers.schedule(ctx.timerService(), current == null, snapshotIntervalMillis);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<T> out) throws IOException {
        T current = total.value();
        if (current != null) {
            out.collect(current);
        }
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return TypeInformation.of(type);
    }
}
