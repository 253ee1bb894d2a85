package dev.scopeflow.cli;

import dev.scopeflow.flink.FeatureStatsJobMain;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --store}: which activations a job stores in {@code feature_activations}; for run-job and run alike. */
final class StorePolicyOptions {

    @Option(
            names = "--store",
            paramLabel = "[ID=]POLICY",
            description = "Which SAE activations the job stores in feature_activations: all (default), none, "
                    + "'min-activation X' (activation >= X) or 'top-per-token N' (each token's N largest); "
                    + "quote a policy with a space. ID=POLICY sets one SAE's policy; repeatable.")
    List<String> store = new ArrayList<>();

    /** Adds the policies given to {@code config}; a bad policy fails with a message naming it. */
    void applyTo(FeatureStatsJobConfig.Builder config) {
        store.forEach(policy -> FeatureStatsJobMain.addStorePolicy(config, policy));
    }
}
