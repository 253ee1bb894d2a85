package dev.scopeflow.flink.types;

/** One document context window bound for ClickHouse's {@code documents} table. Flink POJO. */
public class DocumentRow {
    public String runId;
    public long docId;
    public int windowStart;
    public int[] tokenIds;
    /** The document's text on its first window, else empty. */
    public String text;

    public DocumentRow() {}

    public DocumentRow(String runId, long docId, int windowStart, int[] tokenIds, String text) {
        this.runId = runId;
        this.docId = docId;
        this.windowStart = windowStart;
        this.tokenIds = tokenIds;
        this.text = text;
    }
}
