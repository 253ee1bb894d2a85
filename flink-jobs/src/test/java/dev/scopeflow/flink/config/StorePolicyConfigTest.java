package dev.scopeflow.flink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.flink.FeatureStatsJobMain;
import dev.scopeflow.sae.kernel.StorePolicy;
import dev.scopeflow.schemas.Site;
import org.junit.jupiter.api.Test;

/** The job's store policies as {@code --store} sets them: a default for every SAE, overridden per SAE. */
class StorePolicyConfigTest {

    private static FeatureStatsJobConfig.Builder twoSaes() {
        return FeatureStatsJobConfig.builder()
                .setRunId("r")
                .addSae(new SaeSpec("a", Site.parse("res.1"), "/a.npz"))
                .addSae(new SaeSpec("b", Site.parse("res.1"), "/b.npz"));
    }

    @Test
    void everySaeStoresAllByDefault() {
        FeatureStatsJobConfig config = twoSaes().build();
        assertThat(config.storePolicy("a")).isEqualTo(StorePolicy.all());
        assertThat(config.storePolicy("b")).isEqualTo(StorePolicy.all());
        assertThat(config.storesActivations()).isTrue();
    }

    @Test
    void aJobPolicyAppliesToEverySaeWithoutItsOwn() {
        FeatureStatsJobConfig.Builder builder = twoSaes();
        FeatureStatsJobMain.addStorePolicy(builder, "b=top-per-token 4");
        FeatureStatsJobMain.addStorePolicy(builder, "min-activation 0.5");
        FeatureStatsJobConfig config = builder.build();
        assertThat(config.storePolicy("a")).isEqualTo(StorePolicy.minActivation(0.5f));
        assertThat(config.storePolicy("b")).isEqualTo(StorePolicy.topPerToken(4));
    }

    @Test
    void storesNothingOnlyWhenEverySaeStoresNothing() {
        FeatureStatsJobConfig.Builder builder = twoSaes();
        FeatureStatsJobMain.addStorePolicy(builder, "none");
        assertThat(builder.build().storesActivations()).isFalse();
        FeatureStatsJobMain.addStorePolicy(builder, "b=all");
        assertThat(builder.build().storesActivations()).isTrue();
    }

    @Test
    void aPolicyForAnUnknownSaeOrABadPolicyIsNamed() {
        FeatureStatsJobConfig.Builder builder = twoSaes();
        FeatureStatsJobMain.addStorePolicy(builder, "c=none");
        assertThatThrownBy(builder::build).hasMessageContaining("'c'").hasMessageContaining("[a, b]");
        assertThatThrownBy(() -> FeatureStatsJobMain.addStorePolicy(twoSaes(), "a=top 3"))
                .hasMessageContaining("'top 3'");
    }
}
