package dev.scopeflow.producers.corpus;

/** What a corpus reader saw, including every record it skipped or shortened and why. */
public final class CorpusStats {

    private long records;
    private long documents;
    private long empty;
    private long invalidUtf8;
    private long malformedJson;
    private long truncated;

    void countRecord() {
        records++;
    }

    void countDocument() {
        documents++;
    }

    void countEmpty() {
        empty++;
    }

    void countInvalidUtf8() {
        invalidUtf8++;
    }

    void countMalformedJson() {
        malformedJson++;
    }

    void countTruncated() {
        truncated++;
    }

    /** Lines or files read. */
    public long records() {
        return records;
    }
    /** Documents handed out. */
    public long documents() {
        return documents;
    }
    /** Skipped: empty or whitespace-only. */
    public long empty() {
        return empty;
    }
    /** Skipped: bytes that are not valid UTF-8. */
    public long invalidUtf8() {
        return invalidUtf8;
    }
    /** Skipped: JSONL lines that are not an object with a string text field. */
    public long malformedJson() {
        return malformedJson;
    }
    /** Handed out shortened to the reader's size limit. */
    public long truncated() {
        return truncated;
    }

    @Override
    public String toString() {
        return "records=" + records + " documents=" + documents + " empty=" + empty + " invalid_utf8=" + invalidUtf8
                + " malformed_json=" + malformedJson + " truncated=" + truncated;
    }
}
