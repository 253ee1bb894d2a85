package dev.scopeflow.cli;

import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.stats.StatsRun;
import dev.scopeflow.sae.stats.TopExamples;
import dev.scopeflow.schemas.results.SaeSummary;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code scopeflow stats}: SAE feature statistics of one activation file, a thin shell over {@link StatsRun}. */
@Command(
        name = "stats",
        mixinStandardHelpOptions = true,
        description = "Compute SAE feature statistics over an activation array [n_seq, seq_len, d_in] and write "
                + "features.csv, top_examples.csv, histograms.csv, interval_samples.csv and summary.json.")
final class StatsCommand implements Callable<Integer> {

    @Option(names = "--sae", required = true, description = "A Gemma Scope params.npz or an SAELens directory.")
    Path sae;

    @Option(
            names = "--activations",
            required = true,
            description = "float .npy [n_seq, seq_len, d_in], as written by scopeflow capture.")
    Path activations;

    @Option(names = "--mask", description = "attention_mask.npy [n_seq, seq_len]: tokens where it is 0 do not count.")
    Path mask;

    @Option(
            names = "--tokens",
            description = "tokens.json: one token-id list per sequence; positions past a list's end do not count.")
    Path tokens;

    @Option(names = "--exclude-bos", description = "Do not count BOS tokens (id 2); needs --tokens.")
    boolean excludeBos;

    @Option(
            names = "--top-k",
            defaultValue = "" + TopExamples.DEFAULT_K,
            description = "Top examples per feature (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(
            names = "--dense-threshold",
            defaultValue = "" + SaeSummary.DEFAULT_DENSE_THRESHOLD,
            description = "Density above which a feature counts as dense (default: ${DEFAULT-VALUE}).")
    double denseThreshold;

    @Option(
            names = "--backend",
            description =
                    "Encoder matmul: TORCH (libtorch via DJL) or JAVA (default: TORCH when libtorch loads, else JAVA).")
    MatmulBackend backend;

    @Mixin
    DeviceOption device;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        StatsRun.Result result = StatsRun.run(StatsRun.request()
                .setSae(sae)
                .setActivations(activations)
                .setOut(out)
                .optMask(mask)
                .optTokens(tokens)
                .optExcludeBos(excludeBos)
                .optTopK(topK)
                .optDenseThreshold(denseThreshold)
                .optBackend(backend != null ? backend : MatmulBackend.AUTO.resolve())
                .optDevice(device.computeDevice())
                .build());
        SaeSummary s = result.summary();
        System.out.printf(
                Locale.ROOT,
                "%d tokens, %d features: %d dead, %d dense, L0 %.2f, FVU %.4f (%.1f s)%n",
                result.tokens(),
                s.features(),
                s.dead(),
                s.dense(),
                result.statistics().reconstruction().l0(),
                result.statistics().reconstruction().fvu(),
                (System.nanoTime() - start) / 1e9);
        result.files().forEach(f -> System.out.println("wrote " + f));
        return 0;
    }
}
