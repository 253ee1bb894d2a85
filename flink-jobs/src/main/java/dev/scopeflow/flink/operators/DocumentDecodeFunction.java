package dev.scopeflow.flink.operators;

import dev.scopeflow.flink.types.DeadLetter;
import dev.scopeflow.flink.types.DocumentRow;
import dev.scopeflow.flink.types.RawKafkaRecord;
import dev.scopeflow.schemas.DocumentWindow;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Decodes records of the documents topic into rows for ClickHouse, keeping those of the job's run; a record
 * that is not a valid document window goes to the dead-letter output instead of stopping the job.
 */
public final class DocumentDecodeFunction extends ProcessFunction<RawKafkaRecord, DocumentRow> {

    private static final long serialVersionUID = 1L;

    private final String runId;

    public DocumentDecodeFunction(String runId) {
        this.runId = runId;
    }

    @Override
    public void processElement(RawKafkaRecord record, Context ctx, Collector<DocumentRow> out) {
        DocumentWindow window;
        try {
            window = DocumentWindow.fromJson(record.value);
        } catch (IllegalArgumentException e) {
            ctx.output(
                    SaeEncodeOperator.DEAD_LETTERS,
                    new DeadLetter(record, record.coordinates() + ": " + e.getMessage()));
            return;
        }
        if (window.runId().equals(runId)) {
            out.collect(new DocumentRow(
                    window.runId(),
                    window.docId(),
                    window.firstPosition(),
                    window.tokenIds(),
                    window.text() == null ? "" : window.text()));
        }
    }
}
