package dev.scopeflow.cli;

import dev.scopeflow.flink.FeatureStatsJobMain;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.stats.TopExamples;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What the statistics job computes and stores, for every command that runs it (run-job, run). */
final class JobOptions {

    @Option(
            names = "--sae",
            required = true,
            description = "ID=SITE=PATH, e.g. l20=res.20=/saes/layer_20/width_16k/average_l0_71/params.npz "
                    + "(a Gemma Scope params.npz or a SAELens directory); repeat for several SAEs.")
    List<String> saes;

    @Option(
            names = "--top-k",
            defaultValue = "" + TopExamples.DEFAULT_K,
            description = "Top examples kept per feature (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(
            names = "--backend",
            defaultValue = "AUTO",
            description = "Encode kernel: AUTO (TORCH where libtorch loads on the task manager, else JAVA), TORCH "
                    + "(DJL libtorch; fails where it is missing) or JAVA (default: ${DEFAULT-VALUE}).")
    MatmulBackend backend;

    @Option(
            names = "--torch-threads",
            paramLabel = "N",
            description = "libtorch intra-op threads per encode subtask (default: the task manager's cores divided by "
                    + "its encode subtasks, e.g. 2 cores at parallelism 2 give 1 each).")
    int torchThreads;

    @Option(
            names = "--task-manager-cores",
            paramLabel = "N",
            description = "The cores each task manager shares out among its encode subtasks for --torch-threads' "
                    + "default (default: its available processors).")
    int taskManagerCores;

    @Option(
            names = "--store",
            paramLabel = "[ID=]POLICY",
            description = "Which SAE activations the job stores in feature_activations: all (default), none, "
                    + "'min-activation X' (activation >= X) or 'top-per-token N' (each token's N largest); "
                    + "quote a policy with a space. ID=POLICY sets one SAE's policy; repeatable.")
    List<String> store = new ArrayList<>();

    @Mixin
    DeviceOption device;

    @Option(names = "--parallelism", defaultValue = "2", description = "Flink parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    /** The job's config for {@code runId} from these options; a bad SAE or policy fails with a message naming it. */
    FeatureStatsJobConfig.Builder config(String runId) {
        FeatureStatsJobConfig.Builder config = FeatureStatsJobConfig.builder()
                .setRunId(runId)
                .optTopK(topK)
                .optBackend(backend)
                .optDevice(device.computeDevice())
                .optTorchThreads(torchThreads)
                .optTaskManagerCores(taskManagerCores);
        saes.forEach(sae -> config.addSae(FeatureStatsJobMain.parseSae(sae)));
        store.forEach(policy -> FeatureStatsJobMain.addStorePolicy(config, policy));
        return config;
    }
}
