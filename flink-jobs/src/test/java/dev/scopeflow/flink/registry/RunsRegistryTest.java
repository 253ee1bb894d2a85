package dev.scopeflow.flink.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RunsRegistryTest {

    @Test
    void neuronpediaIdFollowsGemmaScopeReleaseLayout() {
        assertThat(RunsRegistry.neuronpediaId(
                        "/data/gemma-scope-2b-pt-res/layer_20/width_16k/average_l0_71/params.npz"))
                .isEqualTo("gemma-2-2b/20-gemmascope-res-16k");
        assertThat(RunsRegistry.neuronpediaId("/x/gemma-scope-9b-pt-att-canonical/layer_12/width_131k/canonical"))
                .isEqualTo("gemma-2-9b/12-gemmascope-att-131k");
        assertThat(RunsRegistry.neuronpediaId("/x/gemma-scope-2b-pt-mlp/layer_3/width_1m/average_l0_20/params.npz"))
                .isEqualTo("gemma-2-2b/3-gemmascope-mlp-1m");
    }

    @Test
    void otherPathsHaveNoNeuronpediaId() {
        assertThat(RunsRegistry.neuronpediaId("/saes/my-sae/params.npz")).isEmpty();
        assertThat(RunsRegistry.neuronpediaId("/x/gemma-scope-2b-pt-res/layer_x/width_16k/a/params.npz"))
                .isEmpty();
    }
}
