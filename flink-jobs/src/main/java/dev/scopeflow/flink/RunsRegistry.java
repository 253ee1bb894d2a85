package dev.scopeflow.flink;

import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;

import java.time.Instant;
import java.util.List;

/**
 * The runs registry in ClickHouse: which SAEs exist (path, hash, shape) and what each run is doing.
 * Rows are ReplacingMergeTree upserts keyed by id, so re-registering or re-marking is harmless.
 */
public final class RunsRegistry {

    private static final List<String> SAE_COLUMNS = List.of("sae_id", "site", "path", "sha256", "architecture",
            "d_in", "d_sae", "neuronpedia_id", "registered_at");
    private static final List<String> RUN_COLUMNS = List.of("run_id", "model_id", "sites", "saes", "corpus", "tokens",
            "status", "started_at", "ended_at", "updated_at");

    private RunsRegistry() {
    }

    public static void registerSae(ClickHouseHttp clickHouse, String db, SaeSpec sae, String sha256, int dIn, int dSae) {
        clickHouse.insert(db + ".saes", SAE_COLUMNS, List.of(List.of(sae.saeId(), sae.site().toString(), sae.path(),
                sha256, "jumprelu", dIn, dSae, "", Instant.now())));
    }

    /** What identifies a run in the registry. */
    public record Run(String runId, String modelId, List<Site> sites, List<SaeSpec> saes, String corpus,
                      Instant startedAt) {
    }

    public static void markRunning(ClickHouseHttp clickHouse, String db, Run run) {
        upsertRun(clickHouse, db, run, 0, "running", Instant.EPOCH);
    }

    public static void markFinished(ClickHouseHttp clickHouse, String db, Run run, long tokens) {
        upsertRun(clickHouse, db, run, tokens, "finished", Instant.now());
    }

    private static void upsertRun(ClickHouseHttp clickHouse, String db, Run run, long tokens, String status,
                                  Instant endedAt) {
        List<String> sites = run.sites().stream().map(Site::toString).toList();
        List<String> saeIds = run.saes().stream().map(SaeSpec::saeId).toList();
        clickHouse.insert(db + ".runs", RUN_COLUMNS, List.of(List.of(run.runId(), run.modelId(), sites, saeIds,
                run.corpus(), tokens, status, run.startedAt(), endedAt, Instant.now())));
    }
}
