package dev.scopeflow.flink.operators;

import org.apache.flink.streaming.api.TimerService;

/**
 * When keyed accumulators publish their snapshots: at end of input (the final watermark fires a timer at the
 * end of time) and, if an interval is set, every interval of processing time while input arrives.
 */
final class SnapshotTimers {

    private SnapshotTimers() {}

    /** Call for every element; {@code firstForKey} registers the end-of-input timer once. */
    static void schedule(TimerService timers, boolean firstForKey, long intervalMillis) {
        if (firstForKey) {
            timers.registerEventTimeTimer(Long.MAX_VALUE);
        }
        if (intervalMillis > 0) {
            // Aligned to the interval, so all elements of one interval share (deduplicate) one timer.
            long now = timers.currentProcessingTime();
            timers.registerProcessingTimeTimer(now - now % intervalMillis + intervalMillis);
        }
    }
}
