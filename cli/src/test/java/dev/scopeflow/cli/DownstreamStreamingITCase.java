package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.flink.FeatureStatsJobMain;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.producers.tokenizer.ContextWindows;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.results.ResultsReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's streaming path on real services: {@code produce --eval-sae} (a tiny numpy-written Gemma 2 with a
 * word tokenizer, two Gemma Scope SAEs at res.2 and att.1, a corpus cut into 6-token windows, two per forward)
 * publishes per-window sums, {@code run-job} adds them into {@code downstream_stats}, and the totals equal what
 * {@code scopeflow eval} computes on the same windows in other batches (3 per forward): n_predictions and the window
 * count exactly, CE to 1e-5 and KL to 1e-3 relative (float32 per position; padding and summation order differ).
 * {@code eval} itself is checked against numpy by EvalCommandTest. The run's summary table shows them.
 */
class DownstreamStreamingITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    private static final String DB = "downstream_it";
    private static final String RUN = "downstream-run";
    private static final int CONTEXT = 6;

    @TempDir
    static Path dir;

    @Test
    void streamedTotalsEqualScopeflowEvalOnTheSameWindows() throws Exception {
        Path model = TinyGemma.write(dir.resolve("model"), "bf16", 1);
        TinyGemma.writeWordTokenizer(model);
        Path sample = dir.resolve("sample.json");
        new ObjectMapper().writeValue(sample.toFile(), TinyGemma.sampleSequences());
        List<String> saes = List.of(
                "l2=res.2=" + TinyGemma.writeSae(model, sample, "res.2", 24, 5, dir.resolve("res2.npz")),
                "a1=att.1=" + TinyGemma.writeSae(model, sample, "att.1", 16, 6, dir.resolve("att1.npz")));
        List<String> texts = List.of(
                "the city of light is paris .",
                "paris",
                "the city of light is paris . the city of light is paris . of light",
                "light is the city",
                "of");
        Path corpus = Files.writeString(dir.resolve("corpus.txt"), String.join("\n", texts) + "\n");

        List<String> produce = new ArrayList<>(List.of(
                "--model",
                model.toString(),
                "--corpus",
                corpus.toString(),
                "--sites",
                "res.2,att.1",
                "--run-id",
                RUN,
                "--context-length",
                String.valueOf(CONTEXT),
                "--batch-size",
                "2"));
        saes.forEach(s -> produce.addAll(List.of("--eval-sae", s)));
        CommandRun.Output produced = command("produce", produce);
        assertThat(produced.exit()).as(produced.err()).isZero();

        List<int[]> windows = windows(model, texts);
        assertThat(produced.out()).contains(windows.size() + " windows evaluated with 2 SAE(s)");

        List<String> job = new ArrayList<>(List.of("--run-id", RUN));
        saes.forEach(s -> job.addAll(List.of("--sae", s)));
        CommandRun.Output ran = command("run-job", job);
        assertThat(ran.exit()).as(ran.err()).isZero();

        Map<String, ResultsReader.Downstream> streamed =
                new ResultsReader(SERVICES.clickHouse().http(), DB).downstream(RUN);
        EvalCommand.Result offline = EvalCommand.run(
                model,
                windows,
                saes.stream().map(FeatureStatsJobMain::parseSae).toList(),
                dir.resolve("eval"),
                3,
                ComputeDevice.CPU,
                MatmulBackend.AUTO.resolve());
        assertThat(streamed).containsOnlyKeys("l2", "a1");
        for (String id : List.of("l2", "a1")) {
            ResultsReader.Downstream got = streamed.get(id);
            DownstreamSums want = offline.sums().get(id);
            assertThat(got.windows()).as(id + " windows").isEqualTo(windows.size());
            assertThat(got.site()).isEqualTo(id.equals("l2") ? "res.2" : "att.1");
            DownstreamSums s = got.sums();
            assertThat(s.nPredictions()).as(id + " n_predictions").isEqualTo(want.nPredictions());
            assertRelative(id + " ce_clean", s.ceClean(), want.ceClean(), 1e-5);
            assertRelative(id + " ce_sae", s.ceSae(), want.ceSae(), 1e-5);
            assertRelative(id + " ce_zero", s.ceZero(), want.ceZero(), 1e-5);
            assertRelative(id + " kl_sae", s.klSae(), want.klSae(), 1e-3);
            assertRelative(id + " kl_zero", s.klZero(), want.klZero(), 1e-3);
            assertThat(s.klSae()).as(id + ": the splice must matter").isGreaterThan(1e-3);
        }
        long predictions = windows.stream().mapToLong(w -> w.length - 1).sum();
        assertThat(streamed.get("l2").sums().nPredictions()).isEqualTo(predictions);

        // the run's summary table shows them beside L0/FVU
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        RunSummary.printTable(
                new PrintStream(table, true, StandardCharsets.UTF_8),
                RunSummary.evaluations(SERVICES.clickHouse().http(), DB, RUN, List.of("l2", "a1")));
        assertThat(table.toString(StandardCharsets.UTF_8))
                .contains("CE rec.")
                .contains(String.format(
                        java.util.Locale.ROOT,
                        "%8.4f",
                        streamed.get("a1").sums().ceLossRecovered()));
    }

    /** The windows produce cuts the corpus into, as the model sees them (a later window starts with BOS). */
    private static List<int[]> windows(Path model, List<String> texts) {
        ContextWindows splitter = new ContextWindows(CONTEXT, 2);
        List<int[]> windows = new ArrayList<>();
        try (GemmaTokenizer tokenizer = GemmaTokenizer.load(model, 2)) {
            for (String text : texts) {
                splitter.split(tokenizer.encode(text)).forEach(w -> windows.add(w.tokens()));
            }
        }
        assertThat(windows.size()).as("the long document spans several windows").isGreaterThan(texts.size() + 2);
        return windows;
    }

    private static void assertRelative(String what, double got, double want, double relative) {
        assertThat(got).as(what).isCloseTo(want, within(relative * Math.abs(want)));
    }

    private static CommandRun.Output command(String name, List<String> more) {
        List<String> args = new ArrayList<>(List.of(
                name,
                "--kafka",
                SERVICES.kafka().bootstrapServers(),
                "--database",
                DB,
                "--topic-prefix",
                "downstream",
                "--work-dir",
                SERVICES.workDir().resolve("cli-work").toString()));
        args.addAll(SERVICES.clickHouseWriterOptions());
        args.addAll(more);
        return CommandRun.execute(args.toArray(String[]::new));
    }
}
