package dev.scopeflow.producers.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Peak memory of {@link Gemma2Model#evaluate} against the clean forward alone, with Gemma 2's 256000-token vocabulary
 * at context 1024 (issue 12: no {@code [batch, seq, vocab]} float32 array; peak ≤ clean forward + 1 GB). One JVM per
 * measurement, so each peak (the process's {@code VmHWM}: load and run) is its own: {@code write} makes a
 * Gemma-2-2B-shaped checkpoint with fewer layers (numpy, bf16), {@code clean} runs the forward to the last layer's
 * residual without the head (what {@code capture} of the last site does), {@code eval} evaluates one identity
 * "SAE" at {@code res.0} (clean pass, spliced and zeroed reruns, the head over chunks of counted positions). At batch
 * 2 × 1024 a whole logits array would be 2 GiB of float32. Not a test: run by hand, see BENCHMARKS.md.
 *
 * <pre>java -cp ... dev.scopeflow.producers.model.EvalMemoryBenchmark write|clean|eval DIR [layers=2] [batch=2]
 * [seqLen=1024] [vocab=256000]</pre>
 */
public final class EvalMemoryBenchmark {

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path dir = Path.of(args[1]);
        int layers = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int seqLen = args.length > 4 ? Integer.parseInt(args[4]) : 1024;
        int vocab = args.length > 5 ? Integer.parseInt(args[5]) : 256_000;
        if (mode.equals("write")) {
            ObjectNode c = TinyGemma.gemma2bShapedConfig(layers, vocab);
            TinyGemma.write(dir, c, "bf16", 1, 1);
            return;
        }
        long start = System.nanoTime();
        try (Gemma2Model model = Gemma2Model.load(dir, Gemma2Model.LoadOptions.allLayers(ComputeDevice.CPU))) {
            double loadSeconds = (System.nanoTime() - start) / 1e9;
            long afterLoad = kib("VmRSS");
            TokenBatch tokens = TokenBatch.rightPadded(sequences(batch, seqLen, vocab), 0);
            long t0 = System.nanoTime();
            switch (mode) {
                case "clean" -> model.capture(tokens, List.of(new Site(Site.Kind.RES, layers - 1)), false);
                case "eval" ->
                    model.evaluate(tokens, List.of(new Splice(new Site(Site.Kind.RES, 0), (x, rows) -> x.clone())));
                default -> throw new IllegalArgumentException("mode " + mode + ": write, clean or eval");
            }
            double runSeconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "%s: %d layers, batch %d x %d, vocab %d: RSS after load %.2f GiB (load %.1f s), peak RSS (VmHWM) "
                            + "%.2f GiB, run %.1f s; a [batch, seq, vocab] float32 array would be %.2f GiB%n",
                    mode,
                    layers,
                    batch,
                    seqLen,
                    vocab,
                    afterLoad / 1048576.0,
                    loadSeconds,
                    kib("VmHWM") / 1048576.0,
                    runSeconds,
                    4.0 * batch * seqLen * vocab / (1L << 30));
        }
    }

    private static List<int[]> sequences(int batch, int seqLen, int vocab) {
        SplittableRandom random = new SplittableRandom(1);
        List<int[]> sequences = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] s = new int[seqLen];
            s[0] = 2;
            for (int t = 1; t < seqLen; t++) {
                s[t] = 3 + random.nextInt(vocab - 3);
            }
            sequences.add(s);
        }
        return sequences;
    }

    /** A {@code /proc/self/status} field in KiB, e.g. VmHWM (peak resident set). */
    private static long kib(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("/proc/self/status has no " + field);
    }
}
