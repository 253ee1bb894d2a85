package dev.scopeflow.schemas;

import java.util.regex.Pattern;

/**
 * The one rule for run ids, checked by every command that names a run ({@code produce}, {@code run-job},
 * {@code demo}) and by the job's configuration: a run id that one command accepts must be usable by all the
 * others, in Kafka group ids, ClickHouse keys, file names and dashboard links alike.
 */
public final class RunId {

    public static final int MAX_LENGTH = 128;

    private static final Pattern LEGAL = Pattern.compile("[A-Za-z0-9._-]+");

    private RunId() {}

    /** Returns {@code runId} if it is 1 to {@value #MAX_LENGTH} letters, digits, '.', '_' or '-'; else throws. */
    public static String validate(String runId) {
        if (runId == null || runId.isEmpty()) {
            throw new IllegalArgumentException("a run id is required");
        }
        if (runId.length() > MAX_LENGTH || !LEGAL.matcher(runId).matches()) {
            throw new IllegalArgumentException(
                    "run id '" + runId + "' must be 1 to " + MAX_LENGTH + " ASCII letters, digits, '.', '_' or '-'");
        }
        return runId;
    }
}
