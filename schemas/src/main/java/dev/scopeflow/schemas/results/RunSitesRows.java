package dev.scopeflow.schemas.results;

import dev.scopeflow.schemas.Site;
import java.time.Instant;

/**
 * {@code run_sites} (V004): the sites a producer published for a run and the activation width at each, as the
 * producer's model has them; re-recording replaces the row with the later {@code recorded_at}.
 */
public final class RunSitesRows extends TsvRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "run_sites",
            "run_id String",
            "site String",
            "width UInt32",
            "model_id String",
            "recorded_at DateTime('UTC')");

    public RunSitesRows() {
        super(TABLE);
    }

    public RunSitesRows add(String runId, Site site, int width, String modelId, Instant recordedAt) {
        addRow(runId, site.toString(), width, modelId, recordedAt);
        return this;
    }
}
