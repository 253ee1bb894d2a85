package dev.scopeflow.flink.registry;

import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.sae.model.SaeLoader;
import dev.scopeflow.schemas.RunId;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.RunSitesRows;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a statistics job against what the producer recorded for its run ({@code run_sites}) and what the
 * registry holds, before the job writes anything: a job on a run that was never produced, on a site the run has
 * no activations at, or with an SAE whose d_in is not that site's width would dead-letter every record and
 * overwrite a finished run's registry and progress rows (issue 9). Reads headers only, never SAE weights.
 */
public final class RunJobValidation {

    private RunJobValidation() {}

    /** Thrown with every problem found, one per line; nothing has been written when it is thrown. */
    public static final class RejectedJobException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        RejectedJobException(String message) {
            super(message);
        }
    }

    /** Returns normally when the job may run; else throws {@link RejectedJobException} naming each problem. */
    public static void check(ResultsReader registry, FeatureStatsJobConfig config) throws IOException {
        check(registry, config, Map.of());
    }

    /**
     * {@link #check(ResultsReader, FeatureStatsJobConfig)} as if {@code publishing} (site to width) were recorded
     * too: lets a command that publishes and then runs the job ({@code scopeflow run}) refuse a job that does not
     * fit before it publishes anything.
     */
    public static void check(ResultsReader registry, FeatureStatsJobConfig config, Map<Site, Integer> publishing)
            throws IOException {
        String runId = RunId.validate(config.runId());
        Map<Site, Integer> produced = new LinkedHashMap<>(registry.producedSites(runId));
        produced.putAll(publishing);
        if (produced.isEmpty()) {
            throw new RejectedJobException("run '" + runId + "' has no activations recorded in "
                    + RunSitesRows.TABLE.name() + ": produce it first (scopeflow produce --run-id " + runId
                    + " ...); nothing was written");
        }
        List<String> problems = new ArrayList<>();
        for (SaeSpec sae : config.saes()) {
            Integer width = produced.get(sae.site());
            if (width == null) {
                problems.add("SAE '" + sae.saeId() + "' reads site " + sae.site() + ", which run '" + runId
                        + "' has no activations at (it has " + produced.keySet() + ")");
                continue;
            }
            Path path = Path.of(sae.path());
            int dIn = SaeLoader.describe(path).dIn();
            if (dIn != width) {
                problems.add("SAE '" + sae.saeId() + "' (" + path + ") has d_in " + dIn + ", but run '" + runId
                        + "' recorded width " + width + " at " + sae.site());
            }
            Optional<String> registered = registry.registeredSaeSha256(sae.saeId());
            if (registered.isPresent()
                    && !registered.get().equals(RunsRegistry.sha256(RunsRegistry.weightsFile(path)))) {
                problems.add("SAE id '" + sae.saeId() + "' is already registered for other weights (sha256 "
                        + registered.get() + "); give " + path + " another id");
            }
        }
        if (!problems.isEmpty()) {
            throw new RejectedJobException(
                    "job for run '" + runId + "' refused, nothing was written:\n  " + String.join("\n  ", problems));
        }
    }
}
