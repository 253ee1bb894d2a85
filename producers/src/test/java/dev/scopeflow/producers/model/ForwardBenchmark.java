package dev.scopeflow.producers.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Forward throughput on a Gemma-2-2B-shaped random model with fewer layers (hidden 2304, 8 heads, 4 kv heads,
 * head_dim 256, intermediate 9216; vocab cut to 8192 since no logits are computed), against the f32 matmul
 * GFLOP/s measured in the same process. Not a test: run by hand (see BENCHMARKS.md).
 *
 * <pre>java -cp ... dev.scopeflow.producers.model.ForwardBenchmark [layers=4] [batch=8] [seqLen=128] [reps=3] [device=cpu]</pre>
 *
 * <p>{@code device} is {@code cpu}, {@code cuda} or {@code auto} ({@code --device}); the reference matmul runs on the
 * model's device, and both are timed up to a copy back to the host, so a GPU's asynchronous launches are waited for.
 */
public final class ForwardBenchmark {

    public static void main(String[] args) throws Exception {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int seqLen = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        ComputeDevice device = ComputeDevice.parse(args.length > 4 ? args[4] : "cpu");
        Path dir = Files.createTempDirectory("gemma2-2b-shaped");
        ObjectNode c = TinyGemma.gemma2bShapedConfig(layers, 8192);
        TinyGemma.write(dir, c, "bf16", 1, 1);
        System.out.printf(
                Locale.ROOT,
                "threads: %s, cores: %d%n",
                System.getProperty("ai.djl.pytorch.num_threads", "default"),
                Runtime.getRuntime().availableProcessors());

        long loadStart = System.nanoTime();
        try (Gemma2Model model = Gemma2Model.load(dir, Gemma2Model.LoadOptions.allLayers(device));
                MatmulReference matmul = new MatmulReference(model.device(), batch * seqLen, 2304, 9216)) {
            System.out.printf(
                    Locale.ROOT, "load: %.1f s on %s%n", (System.nanoTime() - loadStart) / 1e9, model.device());
            SplittableRandom random = new SplittableRandom(1);
            List<int[]> sequences = new ArrayList<>();
            for (int b = 0; b < batch; b++) {
                int[] s = new int[seqLen];
                s[0] = 2;
                for (int t = 1; t < seqLen; t++) {
                    s[t] = 3 + random.nextInt(8000);
                }
                sequences.add(s);
            }
            TokenBatch tokens = TokenBatch.rightPadded(sequences, 0);
            List<Site> sites = List.of(new Site(Site.Kind.RES, layers - 1));
            model.capture(tokens, sites, false); // warm-up
            matmul.seconds();
            // Forward and reference matmul alternate, so on a shared machine both are sampled under the same
            // conditions; the best of each estimates what the machine offers when left alone.
            double best = Double.MAX_VALUE;
            double bestMatmul = Double.MAX_VALUE;
            for (int r = 0; r < reps; r++) {
                bestMatmul = Math.min(bestMatmul, matmul.seconds());
                long start = System.nanoTime();
                model.capture(tokens, sites, false);
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
            }
            double gflops = flopsPerForward(model.config(), batch, seqLen, layers) / best / 1e9;
            double matmulGflops = matmul.flops() / bestMatmul / 1e9;
            System.out.printf(
                    Locale.ROOT,
                    "matmul [%dx2304]@[2304x9216] f32: best %.3f s, %.1f GFLOP/s%n",
                    batch * seqLen,
                    bestMatmul,
                    matmulGflops);
            System.out.printf(
                    Locale.ROOT,
                    "forward %d layers, batch %dx%d: best %.3f s, %.0f tokens/s, %.1f GFLOP/s "
                            + "= %.0f%% of matmul %.1f GFLOP/s (best of %d interleaved reps)%n",
                    layers,
                    batch,
                    seqLen,
                    best,
                    batch * seqLen / best,
                    gflops,
                    100 * gflops / matmulGflops,
                    matmulGflops,
                    reps);
        }
    }

    /** Matmul FLOPs of one forward (projections, MLP, QK^T and PV over the full T×T). */
    static double flopsPerForward(Gemma2Config c, int batch, int seqLen, int layers) {
        double h = c.hiddenSize();
        double q = c.numHeads() * (double) c.headDim();
        double kv = c.numKvHeads() * (double) c.headDim();
        double perToken = 2 * (h * (q + 2 * kv) + q * h + 3 * h * c.intermediateSize()) + 2 * 2 * seqLen * q;
        return perToken * batch * seqLen * layers;
    }

    /** One f32 [m×k]@[k×n] matmul on libtorch, the shape of the forward's largest projections. */
    private static final class MatmulReference implements AutoCloseable {
        private final NDManager manager;
        private final NDArray a;
        private final NDArray b;
        private final double flops;

        MatmulReference(Device device, int m, int k, int n) {
            manager = NDManager.newBaseManager(device, "PyTorch");
            a = manager.randomNormal(new Shape(m, k));
            b = manager.randomNormal(new Shape(k, n));
            flops = 2.0 * m * k * n;
        }

        double flops() {
            return flops;
        }

        double seconds() {
            long start = System.nanoTime();
            try (NDArray c = a.matMul(b)) {
                c.getFloat(0, 0); // one value back to the host: waits for the GPU's kernel (a no-op wait on the CPU)
            }
            return (System.nanoTime() - start) / 1e9;
        }

        @Override
        public void close() {
            manager.close();
        }
    }
}
