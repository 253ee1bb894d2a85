package dev.scopeflow.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded MiniCluster's checkpoints hold state over 5 MB once {@link FeatureStatsJobMain#localCluster} puts
 * them on local disk; with Flink's default (the JobManager's memory, what the embedded job used before) the same
 * job fails as the 64k-token end-to-end benchmark did ("Exceeded checkpoint tolerable failure threshold"): that
 * second test is the mechanism switched off. A 16k SAE's statistics state (histograms, top examples, interval
 * samples of 16384 features) passes 5 MB on a long run; here one keyed value of 6 MB stands for it.
 */
class LocalCheckpointStorageITCase {

    private static final int STATE_BYTES = 6 << 20;

    @TempDir
    Path dir;

    @Test
    void stateOverFiveMegabytesCheckpointsOnLocalDisk() throws Exception {
        JobExecutionResult result = runHoldingLargeState(FeatureStatsJobMain.localCluster(dir));
        assertThat(result.isJobExecutionResult()).isTrue();
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isDirectory).map(p -> p.getFileName().toString()))
                    .as("the job's checkpoint directory under %s", dir)
                    .anyMatch(name -> name.length() == 32); // the job id
        }
    }

    @Test
    void theJobManagersMemoryRefusesItAndTheJobFails() {
        assertThatThrownBy(() -> runHoldingLargeState(FeatureStatsJobMain.strictTypes()))
                .hasStackTraceContaining("Exceeded checkpoint tolerable failure threshold");
    }

    /**
     * 300 elements at 10 ms each, checkpoints every 100 ms, one key holding {@link #STATE_BYTES} of state; no
     * restarts (with checkpointing on, Flink's default restarts forever), as the job's own strategy gives up too.
     */
    private static JobExecutionResult runHoldingLargeState(Configuration conf) throws Exception {
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        env.enableCheckpointing(100);
        env.fromSequence(1, 300)
                .map((MapFunction<Long, Long>) v -> {
                    Thread.sleep(10);
                    return v;
                })
                .returns(Types.LONG)
                .keyBy(v -> 0L, Types.LONG)
                .process(new HoldsLargeState())
                .returns(Types.LONG)
                .sinkTo(new DiscardingSink<>());
        return env.execute("large keyed state");
    }

    private static final class HoldsLargeState extends KeyedProcessFunction<Long, Long, Long> {
        private transient ValueState<byte[]> large;

        @Override
        public void open(OpenContext context) {
            large = getRuntimeContext()
                    .getState(
                            new ValueStateDescriptor<>("large", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        }

        @Override
        public void processElement(Long value, Context context, Collector<Long> out) throws Exception {
            if (large.value() == null) {
                large.update(new byte[STATE_BYTES]);
            }
            out.collect(value);
        }
    }
}
