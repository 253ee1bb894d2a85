package dev.scopeflow.flink;

import static dev.scopeflow.flink.ActivationStoreExpectations.expectedRows;
import static dev.scopeflow.flink.ActivationStoreExpectations.storedRows;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.flink.ActivationStoreExpectations.Row;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.sae.kernel.StorePolicy;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.results.FeatureActivationsByTokenRows;
import dev.scopeflow.schemas.results.FeatureActivationsRows;
import dev.scopeflow.schemas.results.ResultsReader;
import dev.scopeflow.schemas.results.RunSitesRows;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The activation store on real services (Kafka broker, MiniCluster at parallelism 2, ClickHouse 18.16): four
 * SAEs of one site, one per store policy, against {@link ActivationStoreExpectations}' independent computation,
 * row for row and bit for bit, in both orderings; the policies in the registry; then the whole run replayed into
 * the same tables, which must read the same.
 *
 * <p>Checked to fail with each mechanism switched off: the sink storing every activation whatever the policy
 * (the top-per-token, min-activation and none rows differ), and the reads without FINAL (the replayed copies
 * show).
 */
class ActivationStoreITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final String RUN = "store-run";
    private static final String DB = "it_activation_store";
    private static final Site SITE = Site.parse("res.6");
    private static final int WIDTH = 32;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void storedActivationsEqualTheIndependentSelectionOfEachPolicyAndSurviveAReplay() throws Exception {
        ClickHouseHttp http = SERVICES.clickHouse().http();
        ClickHouseMigrations.apply(http, DB);
        TopicNames topics = TopicNames.withPrefix("it-activation-store");
        KafkaTopics.ensure(SERVICES.kafka().bootstrapServers(), topics, 2);
        SaeSpec all = sae("store-all", 200, 51);
        SaeSpec top3 = sae("store-top3", 150, 52);
        SaeSpec min = sae("store-min", 130, 53);
        SaeSpec none = sae("store-none", 90, 54);

        List<ActivationBatch> batches = withPadAndEos(
                new SyntheticActivations(RUN, "m", SITE, WIDTH, ActivationDtype.F32, 61).documents(0, 5, 21, 8));
        try (ActivationPublisher publisher =
                new ActivationPublisher(SERVICES.kafka().bootstrapServers(), topics)) {
            batches.forEach(publisher::publish);
        }
        new RunSitesRows().add(RUN, SITE, WIDTH, "m", Instant.now()).insertInto(http, DB);

        List<Row> everyMinRow = expectedRows(min, batches);
        // A threshold that is one of the activations, so ">=" is exercised, keeping about a third of them.
        float threshold =
                everyMinRow.stream().map(Row::activation).sorted().toList().get(2 * everyMinRow.size() / 3);
        Map<SaeSpec, List<Row>> expected = Map.of(
                all, expectedRows(all, batches),
                top3, expectedRows(top3, batches, ActivationStoreExpectations.topPerToken(3)),
                min, expectedRows(min, batches, ActivationStoreExpectations.minActivation(threshold)));
        // The data must exercise each policy: each keeps some rows and drops some.
        assertThat(expected.get(all).size()).isGreaterThan(expected.get(top3).size());
        assertThat(expected.get(top3))
                .isNotEmpty()
                .hasSizeLessThan(expectedRows(top3, batches).size());
        assertThat(expected.get(min)).isNotEmpty().hasSizeLessThan(everyMinRow.size());

        FeatureStatsJobConfig config = StatsExpectations.jobConfig(RUN)
                .addSae(all)
                .addSae(top3)
                .addSae(min)
                .addSae(none)
                .optStorePolicy(top3.saeId(), StorePolicy.topPerToken(3))
                .optStorePolicy(min.saeId(), StorePolicy.minActivation(threshold))
                .optStorePolicy(none.saeId(), StorePolicy.none())
                .build();
        FeatureStatsJob.Endpoints endpoints = StatsExpectations.endpoints(SERVICES, topics, DB, true);
        FeatureStatsJob.runRegistered(environment(), endpoints, config, "m", "c");

        try (Connection jdbc = SERVICES.clickHouse().jdbc(DB)) {
            assertStored(jdbc, expected, none, 1);
        }
        assertThat(new ResultsReader(http, DB).storePolicies(RUN))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "store-all", "all",
                        "store-top3", "top-per-token 3",
                        "store-min", "min-activation " + threshold,
                        "store-none", "none"));

        // The whole run again into the same tables, as a restore from before the first record would replay it.
        // Merges stopped, so the second copy of every row stays until the reads below have seen it.
        for (String table : List.of(FeatureActivationsRows.TABLE.name(), FeatureActivationsByTokenRows.TABLE.name())) {
            http.execute("SYSTEM STOP MERGES " + DB + "." + table);
        }
        FeatureStatsJob.runRegistered(environment(), endpoints, config, "m", "c");
        try (Connection jdbc = SERVICES.clickHouse().jdbc(DB)) {
            assertStored(jdbc, expected, none, 2);
        }
        for (String table : List.of(FeatureActivationsRows.TABLE.name(), FeatureActivationsByTokenRows.TABLE.name())) {
            http.execute("SYSTEM START MERGES " + DB + "." + table);
            http.execute("OPTIMIZE TABLE " + DB + "." + table + " FINAL");
        }
        try (Connection jdbc = SERVICES.clickHouse().jdbc(DB)) {
            // Merged, the replayed rows are gone from the table itself, not just from FINAL reads.
            assertStored(jdbc, expected, none, 1);
        }
    }

    /**
     * Each SAE's rows read with FINAL equal the expected ones in both orderings; without FINAL each row is there
     * {@code copies} times (once per run of the job, as nothing merged them); the none-SAE has no row.
     */
    private static void assertStored(Connection jdbc, Map<SaeSpec, List<Row>> expected, SaeSpec none, int copies)
            throws Exception {
        for (Map.Entry<SaeSpec, List<Row>> sae : expected.entrySet()) {
            String id = sae.getKey().saeId();
            List<Row> want = sae.getValue();
            assertThat(storedRows(jdbc, DB, RUN, id)).as("%s FINAL", id).isEqualTo(want);
            assertThat(storedRows(jdbc, DB, FeatureActivationsByTokenRows.TABLE, RUN, id, true))
                    .as("%s by token FINAL", id)
                    .isEqualTo(want);
            List<Row> everyCopy = new ArrayList<>();
            for (Row row : want) {
                for (int c = 0; c < copies; c++) {
                    everyCopy.add(row);
                }
            }
            assertThat(storedRows(jdbc, DB, FeatureActivationsRows.TABLE, RUN, id, false))
                    .as("%s without FINAL", id)
                    .isEqualTo(everyCopy);
            assertThat(storedRows(jdbc, DB, FeatureActivationsByTokenRows.TABLE, RUN, id, false))
                    .as("%s by token without FINAL", id)
                    .isEqualTo(everyCopy);
        }
        assertThat(storedRows(jdbc, DB, FeatureActivationsRows.TABLE, RUN, none.saeId(), false))
                .isEmpty();
        assertThat(storedRows(jdbc, DB, FeatureActivationsByTokenRows.TABLE, RUN, none.saeId(), false))
                .isEmpty();
    }

    /** The batches with the last two tokens of the last document turned into EOS and pad, which are never stored. */
    private static List<ActivationBatch> withPadAndEos(List<ActivationBatch> batches) {
        List<ActivationBatch> out = new ArrayList<>(batches.subList(0, batches.size() - 1));
        ActivationBatch last = batches.get(batches.size() - 1);
        int[] tokenIds = last.tokenIds().clone();
        tokenIds[tokenIds.length - 2] = 1;
        tokenIds[tokenIds.length - 1] = 0;
        out.add(new ActivationBatch(
                last.runId(),
                last.modelId(),
                last.site(),
                last.width(),
                last.dtype(),
                last.docIds(),
                last.positions(),
                tokenIds,
                last.values()));
        return out;
    }

    private static SaeSpec sae(String id, int dSae, int seed) throws Exception {
        return StatsExpectations.numpySae(SERVICES.workDir(), id, SITE, WIDTH, dSae, seed);
    }

    private static StreamExecutionEnvironment environment() {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(FeatureStatsJobMain.strictTypes());
        env.setParallelism(2);
        env.enableCheckpointing(1_000);
        return env;
    }
}
