package dev.scopeflow.flink.registry;

import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.sae.model.SaeDescription;
import dev.scopeflow.sae.model.SaeLoader;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.RunsRows;
import dev.scopeflow.schemas.results.SaesRows;
import dev.scopeflow.schemas.results.StorePoliciesRows;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The runs registry in ClickHouse: which SAEs exist (path, hash, shape), what each run is doing and what it
 * stores.
 * Rows are ReplacingMergeTree upserts keyed by id, so re-registering or re-marking is harmless.
 */
public final class RunsRegistry {

    private RunsRegistry() {}

    /** The longest cause {@link #markFailed} keeps in a status. */
    private static final int MAX_CAUSE = 2000;

    /** Gemma Scope's release layout, e.g. {@code gemma-scope-2b-pt-res/layer_20/width_16k/average_l0_71}. */
    private static final Pattern GEMMA_SCOPE_PATH =
            Pattern.compile(".*gemma-scope-(2b|9b)-pt-(res|att|mlp)[^/]*/layer_(\\d+)/width_(\\d+[km])/.*");

    /**
     * Records an SAE: its site, path, SHA-256 of its weights, architecture and shape (read from file headers, without loading it), and
     * the Neuronpedia id when the path follows Gemma Scope's release layout.
     */
    public static void registerSae(ClickHouseHttp clickHouse, String db, SaeSpec sae) throws IOException {
        Path path = Path.of(sae.path());
        // headers and cfg.json only: registering a 16k SAE must not load its weights on the client
        SaeDescription described = SaeLoader.describe(path);
        String architecture = described.architecture();
        int dIn = described.dIn();
        int dSae = described.dSae();
        new SaesRows()
                .add(
                        sae.saeId(),
                        sae.site().toString(),
                        path.toAbsolutePath().toString(),
                        sha256(weightsFile(path)),
                        architecture,
                        dIn,
                        dSae,
                        neuronpediaId(path.toAbsolutePath().toString()),
                        Instant.now())
                .insertInto(clickHouse, db);
    }

    /** {@code gemma-2-2b/20-gemmascope-res-16k} for a Gemma Scope release path, else empty. */
    static String neuronpediaId(String path) {
        Matcher m = GEMMA_SCOPE_PATH.matcher(path.replace('\\', '/'));
        return m.matches()
                ? "gemma-2-" + m.group(1) + "/" + m.group(3) + "-gemmascope-" + m.group(2) + "-" + m.group(4)
                : "";
    }

    /** Records what the job stores in {@code feature_activations} for each of its SAEs, one row per SAE. */
    public static void recordStorePolicies(ClickHouseHttp clickHouse, String db, FeatureStatsJobConfig config) {
        StorePoliciesRows rows = new StorePoliciesRows();
        Instant now = Instant.now();
        for (SaeSpec sae : config.saes()) {
            rows.add(
                    config.runId(), sae.saeId(), config.storePolicy(sae.saeId()).toString(), now);
        }
        rows.insertInto(clickHouse, db);
    }

    /** The file whose bytes identify an SAE: the npz itself, or the weights inside an SAE directory. */
    static Path weightsFile(Path path) {
        if (!Files.isDirectory(path)) {
            return path;
        }
        for (String name : List.of("params.npz", "sae_weights.safetensors")) {
            if (Files.isRegularFile(path.resolve(name))) {
                return path.resolve(name);
            }
        }
        throw new IllegalArgumentException(
                "SAE directory " + path + " holds neither params.npz nor sae_weights.safetensors");
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JVM", e);
        }
    }

    /** What identifies a run in the registry. */
    public record Run(
            String runId, String modelId, List<Site> sites, List<SaeSpec> saes, String corpus, Instant startedAt) {}

    /** Tokens the jobs have committed for a run, summed over its sites; 0 before the first commit. */
    public static long committedTokens(ClickHouseHttp clickHouse, String db, String runId) {
        return new ResultsReader(clickHouse, db)
                .run(runId)
                .flatMap(ResultsReader.RunOverview::progress)
                .map(ResultsReader.Progress::tokens)
                .orElse(0L);
    }

    /** Tokens committed for a run at these sites only (e.g. a job's own); 0 before their first commit. */
    public static long committedTokens(ClickHouseHttp clickHouse, String db, String runId, Collection<Site> sites) {
        return new ResultsReader(clickHouse, db).countedTokens(runId, sites);
    }

    public static void markRunning(ClickHouseHttp clickHouse, String db, Run run) {
        upsertRun(clickHouse, db, run, 0, "running", Instant.EPOCH);
    }

    public static void markFinished(ClickHouseHttp clickHouse, String db, Run run, long tokens) {
        upsertRun(clickHouse, db, run, tokens, "finished", Instant.now());
    }

    /**
     * The job gave up: status {@code failed: <cause>} (the {@code runs} table has no cause column; the status
     * starts with {@code failed} either way), cut to {@value #MAX_CAUSE} characters.
     */
    public static void markFailed(ClickHouseHttp clickHouse, String db, Run run, long tokens, String cause) {
        String oneLine = cause.replaceAll("\\s+", " ").strip();
        String status = "failed: " + (oneLine.length() > MAX_CAUSE ? oneLine.substring(0, MAX_CAUSE) + "…" : oneLine);
        upsertRun(clickHouse, db, run, tokens, status, Instant.now());
    }

    /**
     * Writes the run's row merged with the one already there: sites and SAEs are the union (existing first), the
     * start time and a given model id or corpus are kept, so a job that adds an SAE to a run adds to its lists
     * instead of replacing them with its own view.
     */
    private static void upsertRun(
            ClickHouseHttp clickHouse, String db, Run run, long tokens, String status, Instant endedAt) {
        Optional<ResultsReader.Run> existing =
                new ResultsReader(clickHouse, db).run(run.runId()).flatMap(ResultsReader.RunOverview::run);
        Set<String> sites = new LinkedHashSet<>();
        Set<String> saeIds = new LinkedHashSet<>();
        existing.ifPresent(e -> {
            sites.addAll(e.sites());
            saeIds.addAll(e.saes());
        });
        run.sites().forEach(site -> sites.add(site.toString()));
        run.saes().forEach(sae -> saeIds.add(sae.saeId()));
        new RunsRows()
                .add(
                        run.runId(),
                        kept(existing.map(ResultsReader.Run::modelId), run.modelId()),
                        List.copyOf(sites),
                        List.copyOf(saeIds),
                        kept(existing.map(ResultsReader.Run::corpus), run.corpus()),
                        // a run's tokens only grow: a job that adds an SAE starts at 0 but the run does not
                        Math.max(tokens, existing.map(ResultsReader.Run::tokens).orElse(0L)),
                        status,
                        existing.map(e -> ClickHouseTsv.parseDateTime(e.startedAt()))
                                .orElse(run.startedAt()),
                        endedAt,
                        Instant.now())
                .insertInto(clickHouse, db);
    }

    /** The value already registered unless this job gives one. */
    private static String kept(Optional<String> existing, String given) {
        return given.isEmpty() ? existing.orElse("") : given;
    }
}
