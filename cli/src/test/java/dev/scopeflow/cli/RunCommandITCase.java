package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.format.NpyWriter;
import dev.scopeflow.schemas.format.PythonFixtures;
import dev.scopeflow.schemas.results.FeatureActivationsByTokenRows;
import dev.scopeflow.schemas.results.FeatureActivationsRows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The "done when" for bringing your own activations: {@code scopeflow run} on an activation array in
 * capture's layout with a JumpReLU SAE (real Kafka broker, Flink MiniCluster, ClickHouse), checked against an
 * independent numpy encode of the same array (activation_array_run.py): the expected set is every non-zero
 * activation at every counted position (mask 1, inside the token list, not BOS). The mask has holes inside the
 * sequences and the array holds junk past each sequence's end, so a masked position that were published or
 * counted would change fire counts and n_tokens. Checked to fail with the mask switched off
 * (ActivationArrayFiles.applyMask's {@code real[t] &= ...} removed): n_tokens and fire counts differ.
 */
class RunCommandITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    private static final int N_SEQ = 6;
    private static final int SEQ_LEN = 16;
    private static final int D_IN = 24;
    private static final int D_SAE = 120;
    private static final int TOP_K = 20;

    /** One expected non-zero activation, from numpy. */
    record NonZero(long doc, int position, int tokenId, int feature, float activation) {}

    @Test
    void runOnAnActivationArrayMatchesANumpyEncode() throws Exception {
        Path dir = SERVICES.workDir().resolve("run-array");
        python("make", dir, 5, N_SEQ, SEQ_LEN, D_IN, D_SAE);
        Path capture = dir.resolve("capture");
        CommandRun.Output run = run(
                "arr_run",
                "arr",
                "--activations",
                capture.resolve("res.npy").toString(),
                "--tokens",
                capture.resolve("tokens.json").toString(),
                "--mask",
                capture.resolve("attention_mask.npy").toString(),
                "--site",
                "res.4",
                "--run-id",
                "array-run",
                "--sae",
                "arr-sae=res.4=" + dir.resolve("params.npz"),
                "--top-k",
                String.valueOf(TOP_K),
                "--store",
                "all",
                "--parallelism",
                "1");
        assertThat(run.exit()).as(run.err()).isZero();

        python("expect", dir, "bf16");
        List<NonZero> expected = readExpected(dir.resolve("expected_nonzeros.csv"));
        long tokens = Long.parseLong(
                Files.readString(dir.resolve("expected_tokens.txt")).strip());
        long published = Long.parseLong(
                Files.readString(dir.resolve("expected_published.txt")).strip());
        assertThat(expected).isNotEmpty();
        assertStatisticsMatch(SERVICES.clickHouse().http(), "arr_run", "array-run", "arr-sae", expected, tokens);
        assertFeatureActivationsMatch(SERVICES.clickHouse().http(), "arr_run", "array-run", "arr-sae", expected);
        // The summary and SQL come from the same code as the demo's: the SAE's line, and a query over this run.
        assertThat(run.out())
                .contains("run array-run: published " + published + " positions of " + capture.resolve("res.npy"))
                .containsPattern("arr-sae\\s+" + tokens + "\\s+" + D_SAE)
                .contains("feature_stats FINAL WHERE run_id = 'array-run'");
    }

    @Test
    void publishRefusesARunWithDataAndAnAppendedSiteOfAnotherWidth() throws Exception {
        Path dir = SERVICES.workDir().resolve("publish-twice");
        Files.createDirectories(dir);
        Path narrow = dir.resolve("narrow.npy");
        Path wide = dir.resolve("wide.npy");
        NpyWriter.writeFloat32(narrow, new float[2 * 3 * 4], 2, 3, 4);
        NpyWriter.writeFloat32(wide, new float[2 * 3 * 5], 2, 3, 5);
        String[] site = {"--site", "mlp.1", "--run-id", "twice"};

        assertThat(publish(narrow, site).exit()).isZero();
        CommandRun.Output again = publish(narrow, site);
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err())
                .contains("run id 'twice' already has data (arr_pub.run_sites records sites [mlp.1])")
                .contains("--append");
        CommandRun.Output wider = publish(wide, "--site", "mlp.1", "--run-id", "twice", "--append");
        assertThat(wider.exit()).isEqualTo(1);
        assertThat(wider.err())
                .contains("run id 'twice' records site mlp.1 with width 4 in arr_pub.run_sites, but the activations "
                        + "to add have width 5");
        assertThat(publish(narrow, "--site", "mlp.1", "--run-id", "twice", "--append")
                        .exit())
                .isZero();
    }

    /**
     * The statistics tables against the numpy non-zeros: per feature, n_tokens, fire count (= its expected
     * non-zeros), sum and max; the top examples (doc, position, activation by rank); reconstruction L0.
     */
    static void assertStatisticsMatch(
            ClickHouseHttp http, String db, String runId, String saeId, List<NonZero> expected, long tokens) {
        Map<Integer, List<NonZero>> byFeature =
                expected.stream().collect(Collectors.groupingBy(NonZero::feature, TreeMap::new, Collectors.toList()));
        String where = " FINAL WHERE run_id = '" + runId + "' AND sae_id = '" + saeId + "'";
        List<List<String>> stats = http.query("SELECT feature, n_tokens, fire_count, act_sum, act_max FROM " + db
                + ".feature_stats" + where + " ORDER BY feature");
        assertThat(stats).hasSize(D_SAE);
        for (List<String> row : stats) {
            List<NonZero> fires = byFeature.getOrDefault(Integer.parseInt(row.get(0)), List.of());
            assertThat(Long.parseLong(row.get(1))).isEqualTo(tokens);
            assertThat(Long.parseLong(row.get(2)))
                    .as("fire count of feature " + row.get(0))
                    .isEqualTo(fires.size());
            double sum = fires.stream().mapToDouble(NonZero::activation).sum();
            assertThat(Double.parseDouble(row.get(3))).isCloseTo(sum, within(1e-4 * Math.max(1, sum)));
            double max = fires.stream().mapToDouble(NonZero::activation).max().orElse(0);
            assertThat(Double.parseDouble(row.get(4))).isCloseTo(max, within(1e-4));
        }

        List<List<String>> top = http.query("SELECT feature, rank, doc_id, position, activation FROM " + db
                + ".top_examples" + where + " ORDER BY feature, rank");
        List<String> expectedTop = new ArrayList<>();
        byFeature.forEach((feature, fires) -> {
            List<NonZero> ranked = fires.stream()
                    .sorted(Comparator.comparingDouble((NonZero n) -> -n.activation())
                            .thenComparingLong(NonZero::doc)
                            .thenComparingInt(NonZero::position))
                    .limit(TOP_K)
                    .toList();
            for (int r = 0; r < ranked.size(); r++) {
                expectedTop.add(feature + "," + (r + 1) + "," + ranked.get(r).doc() + ","
                        + ranked.get(r).position());
            }
        });
        assertThat(top.stream().map(row -> String.join(",", row.subList(0, 4))).toList())
                .containsExactlyElementsOf(expectedTop);
        for (List<String> row : top) {
            NonZero e = byFeature.get(Integer.parseInt(row.get(0))).stream()
                    .filter(n -> n.doc() == Long.parseLong(row.get(2)) && n.position() == Integer.parseInt(row.get(3)))
                    .findFirst()
                    .orElseThrow();
            assertThat(Float.parseFloat(row.get(4))).isCloseTo(e.activation(), within(1e-4f));
        }

        List<List<String>> reconstruction =
                http.query("SELECT n_tokens, l0 FROM " + db + ".reconstruction_stats" + where);
        assertThat(reconstruction).hasSize(1);
        assertThat(Long.parseLong(reconstruction.get(0).get(0))).isEqualTo(tokens);
        assertThat(Double.parseDouble(reconstruction.get(0).get(1)))
                .isCloseTo((double) expected.size() / tokens, within(1e-9));
    }

    /**
     * The activation store: every row of {@code feature_activations} of the run and SAE, and of its by-token copy,
     * equals one numpy non-zero and each non-zero has its row (values to float32 rounding: numpy sums in another
     * order).
     */
    static void assertFeatureActivationsMatch(
            ClickHouseHttp http, String db, String runId, String saeId, List<NonZero> expected) {
        for (String from : List.of(
                FeatureActivationsRows.TABLE.in(db) + " FINAL", FeatureActivationsByTokenRows.asRows(db, true))) {
            List<List<String>> rows = http.query("SELECT doc_id, position, token_id, feature, activation FROM " + from
                    + " WHERE run_id = " + ClickHouseTsv.quote(runId) + " AND sae_id = " + ClickHouseTsv.quote(saeId)
                    + " ORDER BY doc_id, position, feature");
            assertRowsAreNonZeros(from, rows, expected);
        }
    }

    private static void assertRowsAreNonZeros(String table, List<List<String>> rows, List<NonZero> expected) {
        assertThat(rows).as(table).hasSize(expected.size());
        List<NonZero> sorted = expected.stream()
                .sorted(Comparator.comparingLong(NonZero::doc)
                        .thenComparingInt(NonZero::position)
                        .thenComparingInt(NonZero::feature))
                .toList();
        for (int i = 0; i < rows.size(); i++) {
            NonZero e = sorted.get(i);
            List<String> row = rows.get(i);
            assertThat(row.subList(0, 4))
                    .as("%s row %d", table, i)
                    .containsExactly(
                            String.valueOf(e.doc()),
                            String.valueOf(e.position()),
                            String.valueOf(e.tokenId()),
                            String.valueOf(e.feature()));
            assertThat(Float.parseFloat(row.get(4))).isCloseTo(e.activation(), within(1e-4f));
        }
    }

    private static List<NonZero> readExpected(Path csv) throws Exception {
        List<NonZero> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            out.add(new NonZero(
                    Long.parseLong(f[0]),
                    Integer.parseInt(f[1]),
                    Integer.parseInt(f[2]),
                    Integer.parseInt(f[3]),
                    Float.parseFloat(f[4])));
        }
        return out;
    }

    private static CommandRun.Output publish(Path activations, String... more) {
        List<String> args = new ArrayList<>(List.of("--activations", activations.toString()));
        args.addAll(List.of(more));
        return command("publish", "arr_pub", "pub", args);
    }

    private static CommandRun.Output run(String db, String topicPrefix, String... args) {
        return command("run", db, topicPrefix, List.of(args));
    }

    private static CommandRun.Output command(String name, String db, String topicPrefix, List<String> more) {
        List<String> args = new ArrayList<>(List.of(
                name,
                "--kafka",
                SERVICES.kafka().bootstrapServers(),
                "--database",
                db,
                "--topic-prefix",
                topicPrefix,
                "--work-dir",
                SERVICES.workDir().resolve("cli-work").toString()));
        args.addAll(SERVICES.clickHouseWriterOptions());
        args.addAll(more);
        return CommandRun.execute(args.toArray(String[]::new));
    }

    private static void python(String mode, Path dir, Object... args) throws Exception {
        PythonFixtures.run(RunCommandITCase.class.getResource("activation_array_run.py"), dir, mode, args);
    }
}
