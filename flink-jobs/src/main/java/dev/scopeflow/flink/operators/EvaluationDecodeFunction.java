package dev.scopeflow.flink.operators;

import dev.scopeflow.flink.types.DeadLetter;
import dev.scopeflow.flink.types.RawKafkaRecord;
import dev.scopeflow.flink.types.SaeDownstream;
import dev.scopeflow.schemas.WindowEvaluation;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decodes records of the evaluations topic into one {@link SaeDownstream} per SAE of the window, keeping those of
 * the job's run; a record that is not a valid {@link WindowEvaluation} goes to the dead-letter output instead of
 * stopping the job.
 */
public final class EvaluationDecodeFunction extends ProcessFunction<RawKafkaRecord, SaeDownstream> {

    private static final long serialVersionUID = 1L;

    private final String runId;

    public EvaluationDecodeFunction(String runId) {
        this.runId = runId;
    }

    @Override
    public void processElement(RawKafkaRecord record, Context ctx, Collector<SaeDownstream> out) {
        WindowEvaluation window;
        try {
            window = WindowEvaluation.fromJson(record.value);
        } catch (IllegalArgumentException e) {
            ctx.output(
                    SaeEncodeOperator.DEAD_LETTERS,
                    new DeadLetter(record, record.coordinates() + ": " + e.getMessage()));
            return;
        }
        if (window.runId().equals(runId)) {
            window.saes().forEach(sae -> out.collect(SaeDownstream.of(window, sae)));
        }
    }
}
