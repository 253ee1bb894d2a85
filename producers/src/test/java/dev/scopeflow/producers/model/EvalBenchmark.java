package dev.scopeflow.producers.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Cost of {@link Gemma2Model#evaluate} per SAE relative to the clean forward, on a Gemma-2-2B-shaped random model
 * with fewer layers (as {@link ForwardBenchmark}) and k SAEs at one mid-depth res site. The replacement is the
 * identity, so only the model's work is timed (the SAE's encode/decode is the statistics job's cost, measured by
 * EncodeBenchmark). The first SAE at a site costs two reruns from the site's layer on (spliced and zeroed) plus two
 * heads over the counted positions; each further SAE at that site one rerun and one head (the zero pass is
 * shared). k = 1, 2 and 4 run interleaved: perExtraSae = (T(4) − T(1)) / 3, clean ≈ T(1) − 2 × perExtraSae; the
 * expected ratio perExtraSae / clean is (layers from the site + head) / (all layers + head), the head in
 * layer-equivalents of matmul FLOPs. Not a test: run by hand.
 *
 * <pre>java -cp ... dev.scopeflow.producers.model.EvalBenchmark [layers=6] [site=layers/2] [batch=4] [seqLen=128]
 * [vocab=8192] [reps=3]</pre>
 */
public final class EvalBenchmark {

    public static void main(String[] args) throws Exception {
        int layers = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int siteLayer = args.length > 1 ? Integer.parseInt(args[1]) : layers / 2;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int seqLen = args.length > 3 ? Integer.parseInt(args[3]) : 128;
        int vocab = args.length > 4 ? Integer.parseInt(args[4]) : 8192;
        int reps = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        Path dir = Files.createTempDirectory("gemma2-2b-shaped");
        ObjectNode c = TinyGemma.gemma2bShapedConfig(layers, vocab);
        TinyGemma.write(dir, c, "bf16", 1, 1);
        try (Gemma2Model model = Gemma2Model.load(dir, Gemma2Model.LoadOptions.allLayers(ComputeDevice.CPU))) {
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
            TokenBatch tokens = TokenBatch.rightPadded(sequences, 0);
            Splice identity = new Splice(new Site(Site.Kind.RES, siteLayer), (x, rows) -> x.clone());
            int[] ks = {1, 2, 4};
            double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
            model.evaluate(tokens, List.of(identity)); // warm-up
            for (int r = 0; r < reps; r++) {
                for (int i = 0; i < ks.length; i++) {
                    long start = System.nanoTime();
                    model.evaluate(tokens, Collections.nCopies(ks[i], identity));
                    best[i] = Math.min(best[i], (System.nanoTime() - start) / 1e9);
                }
            }
            double perSae = (best[2] - best[0]) / 3;
            double clean = best[0] - 2 * perSae;
            // in layer-equivalents: head over counted positions vs one layer, both per token, as matmul FLOPs
            double layerFlops = ForwardBenchmark.flopsPerForward(model.config(), 1, seqLen, 1) / seqLen;
            double head = 2.0 * model.config().hiddenSize() * vocab / layerFlops;
            double expected = (layers - siteLayer + head) / (layers + head);
            System.out.printf(
                    Locale.ROOT,
                    "%d layers, site res.%d, batch %dx%d, vocab %d: T(1) %.3f s, T(2) %.3f s, T(4) %.3f s (best of %d)"
                            + "%n  clean ≈ %.3f s, per extra SAE %.3f s = %.2f × clean; expected (%d + %.2f) / (%d + "
                            + "%.2f) = %.2f (head = %.2f layers)%n",
                    layers,
                    siteLayer,
                    batch,
                    seqLen,
                    vocab,
                    best[0],
                    best[1],
                    best[2],
                    reps,
                    clean,
                    perSae,
                    perSae / clean,
                    layers - siteLayer,
                    head,
                    layers,
                    head,
                    expected,
                    head);
        }
    }
}
