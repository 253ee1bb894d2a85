package dev.scopeflow.flink.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.flink.types.RawKafkaRecord;
import dev.scopeflow.flink.types.SaeDownstream;
import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.WindowEvaluation;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** The evaluations-topic decoder: one total per SAE of its run's windows, dead letters for what is not a window. */
class EvaluationDecodeFunctionTest {

    @Test
    void fansOutItsRunsWindowsPerSaeAndDeadLettersTheRest() throws Exception {
        DownstreamSums a = new DownstreamSums(5, 1.25, 1.5, 3, 0.125, 2);
        DownstreamSums b = new DownstreamSums(5, 1.25, 2.5, 4, 0.5, 3);
        WindowEvaluation mine = new WindowEvaluation(
                "run",
                4,
                1,
                List.of(
                        new WindowEvaluation.Entry("res/a", Site.parse("res.2"), a),
                        new WindowEvaluation.Entry("att-b", Site.parse("att.1"), b)));
        WindowEvaluation other = new WindowEvaluation(
                "other", 4, 1, List.of(new WindowEvaluation.Entry("res/a", Site.parse("res.2"), a)));
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, SaeDownstream> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(new EvaluationDecodeFunction("run"))) {
            harness.processElement(new StreamRecord<>(new RawKafkaRecord("evals", 2, 7, mine.toJson())));
            harness.processElement(new StreamRecord<>(new RawKafkaRecord("evals", 2, 8, other.toJson())));
            harness.processElement(new StreamRecord<>(
                    new RawKafkaRecord("evals", 2, 9, "{\"run_id\":\"run\"}".getBytes(StandardCharsets.UTF_8))));

            assertThat(harness.extractOutputValues())
                    .extracting(d -> d.key() + "@" + d.site + ":" + d.windows)
                    .containsExactly("run/res/a@res.2:1", "run/att-b@att.1:1");
            assertThat(harness.extractOutputValues())
                    .extracting(SaeDownstream::sums)
                    .containsExactly(a, b);
            assertThat(harness.getSideOutput(SaeEncodeOperator.DEAD_LETTERS))
                    .singleElement()
                    .satisfies(d -> assertThat(d.getValue().reason)
                            .isEqualTo("evals/2@9: evaluation record has no saes array"));
        }
    }
}
