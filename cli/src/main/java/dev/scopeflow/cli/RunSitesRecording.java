package dev.scopeflow.cli;

import dev.scopeflow.producers.kafka.KafkaProduction;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.RunSitesRows;
import java.time.Instant;
import java.util.Map;

/**
 * What a command that produces a run ({@code produce}, {@code publish}) checks and writes in ClickHouse's
 * {@code run_sites}, defined once: a run id that already has data is refused unless appending, an appended site
 * must keep its width, and the run's sites and widths are recorded before its first record.
 */
final class RunSitesRecording {

    private RunSitesRecording() {}

    /**
     * Refuses {@code runId} when {@code run_sites} records it, unless {@code append}; appending {@code site} at a
     * width other than the one recorded is refused too (the run's SAEs were checked against that width). Either
     * may be null: produce learns its widths from the model only later, where Kafka's check follows.
     */
    static void check(Services services, String runId, boolean append, Site site, Integer width) {
        String db = services.database();
        Map<Site, Integer> recorded = new ResultsReader(services.clickHouse(), db).producedSites(runId);
        if (!append && !recorded.isEmpty()) {
            throw new IllegalStateException("run id '" + runId + "' already has data (" + db + "."
                    + RunSitesRows.TABLE.name() + " records sites " + recorded.keySet() + "): producing it again "
                    + "would count its tokens twice; pass --append to add to the run, or choose a new run id");
        }
        Integer before = site == null ? null : recorded.get(site);
        if (before != null && !before.equals(width)) {
            throw new IllegalArgumentException("run id '" + runId + "' records site " + site + " with width " + before
                    + " in " + db + "." + RunSitesRows.TABLE.name() + ", but the activations to add have width "
                    + width + ": a site has one width per run");
        }
    }

    /** Writes a run's sites and widths to {@code run_sites} when the producer calls it. */
    static KafkaProduction.SiteRecorder recorder(Services services) {
        return (run, modelId, widths) -> {
            RunSitesRows rows = new RunSitesRows();
            widths.forEach((site, width) -> rows.add(run, site, width, modelId, Instant.now()));
            rows.insertInto(services.clickHouse(), services.database());
        };
    }

    /**
     * Like {@link #recorder}, for one of a run's workers: several record the same sites, so recording again is
     * fine, but a site at another width than the run records (a worker started with another model) is refused
     * before anything is published.
     */
    static KafkaProduction.SiteRecorder workerRecorder(Services services) {
        KafkaProduction.SiteRecorder record = recorder(services);
        return (run, modelId, widths) -> {
            widths.forEach((site, width) -> check(services, run, true, site, width));
            record.record(run, modelId, widths);
        };
    }
}
