package dev.scopeflow.flink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.sae.kernel.StorePolicy;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;

/**
 * Where the activation store's sink sits in the production graph: chained to the encode operator (its input is
 * not shipped over the network a second time), and absent when every SAE's policy is none. Only the graph is
 * built: no SAE is loaded, no broker or ClickHouse contacted. Checked to fail with the sink added whatever the
 * policies.
 */
class ActivationStoreWiringTest {

    private static final SaeSpec A = new SaeSpec("a", Site.parse("res.1"), "/nowhere/a.npz");
    private static final SaeSpec B = new SaeSpec("b", Site.parse("res.1"), "/nowhere/b.npz");

    private static List<String> vertexNames(FeatureStatsJobConfig config) {
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(FeatureStatsJobMain.strictTypes());
        env.setParallelism(2);
        FeatureStatsJob.wire(
                env,
                new FeatureStatsJob.Endpoints(
                        "localhost:1", TopicNames.withPrefix("wiring"), "http://localhost:1", null, "db", true),
                config);
        return StreamSupport.stream(
                        env.getStreamGraph().getJobGraph().getVertices().spliterator(), false)
                .map(JobVertex::getName)
                .toList();
    }

    @Test
    void storeSinkIsChainedToTheEncodeOperator() {
        FeatureStatsJobConfig config = FeatureStatsJobConfig.builder()
                .setRunId("wiring")
                .addSae(A)
                .addSae(B)
                .optStorePolicy(StorePolicy.none())
                .optStorePolicy("b", StorePolicy.topPerToken(2))
                .build();
        assertThat(vertexNames(config))
                .filteredOn(name -> name.contains("clickhouse-activations"))
                .singleElement()
                .satisfies(name -> assertThat(name).contains("sae-encode"));
    }

    @Test
    void noStoreSinkWhenEverySaeStoresNothing() {
        FeatureStatsJobConfig config = FeatureStatsJobConfig.builder()
                .setRunId("wiring")
                .addSae(A)
                .addSae(B)
                .optStorePolicy(StorePolicy.none())
                .build();
        List<String> names = vertexNames(config);
        assertThat(names).anySatisfy(name -> assertThat(name).contains("sae-encode"));
        assertThat(names).noneSatisfy(name -> assertThat(name).contains("clickhouse-activations"));
    }
}
