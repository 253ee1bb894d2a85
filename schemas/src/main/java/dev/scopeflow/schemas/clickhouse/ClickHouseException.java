package dev.scopeflow.schemas.clickhouse;

/** A ClickHouse request that did not succeed: a non-200 answer, or no answer at all (status 0). */
public final class ClickHouseException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private static final int SQL_PREVIEW_CHARS = 200;

    private final int httpStatus;
    private final String serverMessage;

    ClickHouseException(int httpStatus, String serverMessage, String sql, Throwable cause) {
        super(describe(httpStatus, serverMessage, sql), cause);
        this.httpStatus = httpStatus;
        this.serverMessage = serverMessage;
    }

    /** The HTTP status, or 0 when the server could not be reached or did not answer in time. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The server's error text (ClickHouse's {@code Code: N, ... DB::Exception: ...}) or the I/O failure. */
    public String serverMessage() {
        return serverMessage;
    }

    private static String describe(int status, String serverMessage, String sql) {
        String preview = sql.length() <= SQL_PREVIEW_CHARS ? sql : sql.substring(0, SQL_PREVIEW_CHARS) + "...";
        String answer = status == 0 ? "no answer from ClickHouse" : "ClickHouse answered HTTP " + status;
        return answer + ": " + serverMessage.strip() + " [SQL: " + preview.strip() + "]";
    }
}
