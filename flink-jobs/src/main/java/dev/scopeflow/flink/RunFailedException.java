package dev.scopeflow.flink;

/**
 * The job of a registered run gave up (its restart strategy was exhausted, or it could not start); the run is
 * marked {@code failed} with {@link #cause()} in the runs registry.
 */
public final class RunFailedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String runId;
    private final String cause;

    RunFailedException(String runId, Throwable failure) {
        super("run " + runId + " failed: " + describe(failure), failure);
        this.runId = runId;
        this.cause = describe(failure);
    }

    public String runId() {
        return runId;
    }

    /** The innermost exception of the failure, on one line: what went wrong, not Flink's wrappers around it. */
    public String cause() {
        return cause;
    }

    static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.toString().replaceAll("\\s+", " ").strip();
    }
}
