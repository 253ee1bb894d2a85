package dev.scopeflow.schemas.results;

/** {@code documents} (V002): the token ids of one context window of a document, and its text on the first. */
public final class DocumentsRows extends RowBinaryRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "documents",
            "run_id String",
            "doc_id Int64",
            "window_start UInt32",
            "token_ids Array(Int32)",
            "text String");

    public DocumentsRows(int initialBytes) {
        super(TABLE, initialBytes);
    }

    public DocumentsRows add(String runId, long docId, long windowStart, int[] tokenIds, String text) {
        nextRow()
                .string(runId)
                .int64(docId)
                .uint32(windowStart)
                .int32Array(tokenIds)
                .string(text);
        return this;
    }
}
