package dev.scopeflow.schemas.results;

import java.time.Instant;

/**
 * {@code site_progress} (V005): a run at one site as a job sees it, versioned by records read plus tokens counted
 * (so a view that counted fewer tokens of the same records never replaces one that counted more). A run's
 * progress is the sum over its sites: each job counts only records of the sites its SAEs read, so jobs of one
 * run at different sites each keep their own row.
 */
public final class SiteProgressRows extends TsvRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "site_progress",
            "run_id String",
            "site String",
            "records UInt64",
            "tokens UInt64",
            "dead_letters UInt64",
            "updated_at DateTime('UTC')",
            "version UInt64");

    /**
     * The {@code run_id} under which the job counts records it cannot decode (with site {@link #NO_SITE}): they
     * name no run, so counting them in the job's own run would charge them to every run that reads the topic. No
     * valid run id has parentheses. Its version is the undecodable records a job saw from the topic's start, so
     * jobs re-reading the same topic write the same row and the highest count wins (each such record is counted
     * once, not once per job).
     */
    public static final String UNDECODABLE_RUN_ID = "(undecodable)";

    /**
     * The site of undecodable records (they name none) and of progress copied from V002's per-run
     * {@code run_progress}, whose site is unknown. No valid site is empty.
     */
    public static final String NO_SITE = "";

    public SiteProgressRows() {
        super(TABLE);
    }

    public SiteProgressRows add(
            String runId, String site, long records, long tokens, long deadLetters, Instant updatedAt, long version) {
        addRow(runId, site, records, tokens, deadLetters, updatedAt, version);
        return this;
    }
}
