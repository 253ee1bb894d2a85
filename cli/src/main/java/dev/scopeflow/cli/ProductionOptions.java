package dev.scopeflow.cli;

import dev.scopeflow.flink.FeatureStatsJobMain;
import dev.scopeflow.producers.kafka.KafkaProduction;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options of a command that turns documents into a run's activations ({@code produce} from a corpus file,
 * {@code worker} from the corpus topic, {@code run --model}): the checkpoint, sites, windows, batch and the SAEs
 * evaluated with the model in the loop. One place, so all produce a document the same way. The wire dtype and the
 * device are the commands' own mixins ({@link WireDtypeOption}, {@link DeviceOption}): {@code run} shares them with
 * its other input and its job.
 */
final class ProductionOptions {

    @Option(
            names = "--model",
            required = true,
            description = "Hugging Face checkpoint directory (config.json, *.safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--sites", required = true, split = ",", description = "Sites, e.g. res.12,mlp.3.")
    List<String> sites;

    @Option(
            names = "--context-length",
            defaultValue = "1024",
            description = "Tokens per context window, BOS included (default: ${DEFAULT-VALUE}).")
    int contextLength;

    @Option(
            names = "--batch-size",
            defaultValue = "8",
            description = "Context windows per forward (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--eval-sae",
            description = "ID=SITE=PATH: also evaluate this SAE with the model in the loop on every window (CE loss "
                    + "recovered, KL; as scopeflow eval) and publish each window's sums to the evaluations topic, "
                    + "which the job adds up into downstream_stats. Repeatable; loads the whole model.")
    List<String> evalSaes = List.of();

    /** What every record of {@code runId} is produced with. */
    CorpusProducer.Settings settings(String runId, ActivationDtype dtype) {
        return CorpusProducer.Settings.of(
                        runId,
                        KafkaProduction.modelId(model),
                        sites.stream().map(Site::parse).toList())
                .withDtype(dtype)
                .withContextLength(contextLength)
                .withBatchSize(batchSize);
    }

    /** The {@code --eval-sae} SAEs, checked against the model's config and loaded on the chosen device. */
    SaeSplices loadEvaluations(ComputeDevice device) throws IOException {
        return SaeSplices.load(
                model,
                evalSaes.stream().map(FeatureStatsJobMain::parseSae).toList(),
                MatmulBackend.AUTO.resolve(),
                device,
                "--eval-sae");
    }
}
