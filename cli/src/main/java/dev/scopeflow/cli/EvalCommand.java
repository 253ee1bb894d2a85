package dev.scopeflow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.flink.FeatureStatsJobMain;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.producers.model.Gemma2Config;
import dev.scopeflow.producers.model.Gemma2Model;
import dev.scopeflow.producers.model.SpliceEvaluation;
import dev.scopeflow.producers.model.TokenBatch;
import dev.scopeflow.producers.tokenizer.TokenSequences;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.DownstreamSums;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code scopeflow eval}: each SAE's downstream metrics with the model in the loop (CE loss recovered, ΔLM loss,
 * KL), from {@link Gemma2Model#evaluate} over every batch, summed as {@link DownstreamSums}. A thin shell over
 * {@link #run}.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = "Splice each SAE's reconstruction (and zeros) into Gemma 2 at its site and write "
                + "downstream.json: per SAE ce_clean, ce_sae, ce_zero, delta_lm_loss, ce_loss_recovered, kl_sae, "
                + "kl_zero, kl_div_score, n_predictions.")
final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelRunOptions modelRun;

    @Option(
            names = "--sae",
            required = true,
            description = "ID=SITE=PATH, e.g. l20=res.20=/saes/layer_20/width_16k/average_l0_71/params.npz "
                    + "(a Gemma Scope params.npz or a SAELens directory); repeat for several SAEs.")
    List<String> saes;

    @Option(names = "--out", required = true, description = "Output directory (downstream.json).")
    Path out;

    @Option(
            names = "--backend",
            description =
                    "Encoder matmul: TORCH (libtorch via DJL) or JAVA (default: TORCH when libtorch loads, else JAVA).")
    MatmulBackend backend;

    /** What {@link #run} wrote: the file and each SAE's sums, by id in the order given. */
    record Result(Path file, Map<String, DownstreamSums> sums, int sequences, double seconds) {}

    @Override
    public Integer call() throws IOException {
        Gemma2Config config = Gemma2Config.load(modelRun.model);
        List<int[]> sequences = modelRun.tokens() != null
                ? TokenSequences.fromTokensFile(modelRun.tokens())
                : TokenSequences.fromTextFile(
                        modelRun.text(), modelRun.model, config.bosTokenId(), modelRun.contextLength);
        Result result = run(
                modelRun.model,
                sequences,
                saes.stream().map(FeatureStatsJobMain::parseSae).toList(),
                out,
                modelRun.batchSize,
                modelRun.computeDevice(),
                backend != null ? backend : MatmulBackend.AUTO.resolve());
        System.out.printf(
                Locale.ROOT,
                "evaluated %d SAEs over %d sequences in %.1f s%n",
                saes.size(),
                sequences.size(),
                result.seconds());
        result.sums()
                .forEach((id, s) -> System.out.printf(
                        Locale.ROOT,
                        "  %s: CE clean %.4f, SAE %.4f, zero %.4f; CE loss recovered %.4f; KL SAE %.4f, zero %.4f (%d "
                                + "predictions)%n",
                        id,
                        s.ceClean(),
                        s.ceSae(),
                        s.ceZero(),
                        s.ceLossRecovered(),
                        s.klSae(),
                        s.klZero(),
                        s.nPredictions()));
        System.out.println("wrote " + result.file());
        return 0;
    }

    /**
     * Evaluates every SAE of {@code saes} on {@code sequences} (right-padded in batches of {@code batchSize}) and
     * writes {@code outDir/downstream.json}: an object keyed by SAE id whose values hold
     * {@link DownstreamSums#METRIC_NAMES}. An SAE whose d_in is not its site's width fails before the model runs.
     */
    public static Result run(
            Path modelDir,
            List<int[]> sequences,
            List<SaeSpec> saes,
            Path outDir,
            int batchSize,
            ComputeDevice device,
            MatmulBackend backend)
            throws IOException {
        long start = System.nanoTime();
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("no input sequences (empty input file?)");
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        }
        Map<String, DownstreamSums> sums = new LinkedHashMap<>();
        saes.forEach(s -> sums.put(s.saeId(), DownstreamSums.EMPTY));
        try (SaeSplices splices = SaeSplices.load(modelDir, saes, backend, device, "--sae");
                Gemma2Model model = Gemma2Model.load(modelDir, Gemma2Model.LoadOptions.allLayers(device))) {
            int pad = model.config().padTokenId();
            for (int first = 0; first < sequences.size(); first += batchSize) {
                TokenBatch batch = TokenBatch.rightPadded(
                        sequences.subList(first, Math.min(sequences.size(), first + batchSize)), pad);
                SpliceEvaluation evaluation = model.evaluate(batch, splices.splices());
                for (int i = 0; i < saes.size(); i++) {
                    sums.merge(saes.get(i).saeId(), evaluation.total(i), DownstreamSums::plus);
                }
            }
        }
        Files.createDirectories(outDir);
        Path file = outDir.resolve("downstream.json");
        Map<String, Map<String, Object>> json = new LinkedHashMap<>();
        sums.forEach((id, s) -> json.put(id, s.metrics()));
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(file.toFile(), json);
        return new Result(file, sums, sequences.size(), (System.nanoTime() - start) / 1e9);
    }
}
