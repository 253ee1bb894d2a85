package dev.scopeflow.schemas;

/**
 * Bytes that are not a valid ScopeFlow activation batch. The message says what is wrong; consumers route
 * such records to the dead-letter topic instead of failing the job.
 */
public final class InvalidBatchException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InvalidBatchException(String message) {
        super(message);
    }

    public InvalidBatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
