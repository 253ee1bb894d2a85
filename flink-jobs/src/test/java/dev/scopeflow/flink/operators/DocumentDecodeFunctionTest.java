package dev.scopeflow.flink.operators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.flink.types.DocumentRow;
import dev.scopeflow.flink.types.RawKafkaRecord;
import dev.scopeflow.schemas.DocumentWindow;
import java.nio.charset.StandardCharsets;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** The documents-topic decoder in Flink's operator harness: rows of its run, dead letters for the rest. */
class DocumentDecodeFunctionTest {

    @Test
    void keepsItsRunsWindowsAndDeadLettersWhatIsNotAWindow() throws Exception {
        DocumentWindow first = new DocumentWindow("run", 4, 0, 0, new int[] {2, 651, 3922}, "The City", null, false);
        DocumentWindow later = new DocumentWindow("run", 4, 1, 3, new int[] {2, 576}, null, null, false);
        DocumentWindow other = new DocumentWindow("other", 4, 0, 0, new int[] {2, 7}, "x", null, false);
        try (OneInputStreamOperatorTestHarness<RawKafkaRecord, DocumentRow> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(new DocumentDecodeFunction("run"))) {
            harness.processElement(new StreamRecord<>(new RawKafkaRecord("docs", 0, 1, first.toJson())));
            harness.processElement(
                    new StreamRecord<>(new RawKafkaRecord("docs", 0, 2, "{not json".getBytes(StandardCharsets.UTF_8))));
            harness.processElement(new StreamRecord<>(new RawKafkaRecord("docs", 0, 3, other.toJson())));
            harness.processElement(new StreamRecord<>(new RawKafkaRecord("docs", 0, 4, later.toJson())));

            assertThat(harness.extractOutputValues())
                    .extracting(r -> r.docId + "@" + r.windowStart + ":" + r.text)
                    .containsExactly("4@0:The City", "4@3:");
            assertThat(harness.extractOutputValues().get(1).tokenIds).containsExactly(2, 576);
            assertThat(harness.getSideOutput(SaeEncodeOperator.DEAD_LETTERS))
                    .singleElement()
                    .satisfies(d -> assertThat(d.getValue().reason).startsWith("docs/0@2: "));
        }
    }
}
