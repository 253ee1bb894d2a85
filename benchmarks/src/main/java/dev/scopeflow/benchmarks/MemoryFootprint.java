package dev.scopeflow.benchmarks;

import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.model.JumpReluSae;
import dev.scopeflow.sae.stats.ActivationHistogram;
import dev.scopeflow.sae.stats.FeatureStats;
import dev.scopeflow.sae.stats.IntervalSamples;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.sae.stats.TopExamples;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Measures the memory one 16k SAE costs (d_in 2304 × d_sae 16384): Java heap of the loaded SAE per backend
 * (TORCH keeps W_enc in native memory, reported as its byte size), and heap and serialized size of each
 * accumulator once every feature has fired often enough to fill its top-k and interval slots (the worst case).
 * Run: {@code java -cp ... dev.scopeflow.benchmarks.MemoryFootprint}.
 */
public final class MemoryFootprint {

    private static final int D_IN = EncodeBenchmark.D_IN;
    private static final int D_SAE = EncodeBenchmark.D_SAE;

    private MemoryFootprint() {}

    public static void main(String[] args) {
        Random random = new Random(1);
        float[] threshold = new float[D_SAE];
        for (MatmulBackend backend : List.of(MatmulBackend.JAVA, MatmulBackend.TORCH)) {
            long before = usedHeap();
            JumpReluSae sae = JumpReluSae.builder(D_IN, D_SAE)
                    .optBackend(backend)
                    .setWEnc(EncodeBenchmark.gaussian(random, D_IN * D_SAE, 0.02))
                    .setBEnc(new float[D_SAE])
                    .setThreshold(threshold)
                    .setWDec(EncodeBenchmark.gaussian(random, D_SAE * D_IN, 0.02))
                    .setBDec(new float[D_IN])
                    .build();
            long heap = usedHeap() - before;
            long nativeBytes = backend == MatmulBackend.TORCH ? 4L * (D_IN * D_SAE + D_SAE) : 0;
            System.out.printf(
                    Locale.ROOT, "SAE %s: heap %.1f MiB, native %.1f MiB%n", backend, mib(heap), mib(nativeBytes));
            sae.close();
        }

        // every feature fires on 8 tokens per batch with spread activations: top-k and intervals fill up
        int rows = 2048;
        SparseCodes.Builder builder = SparseCodes.builder(D_SAE);
        long[] docs = new long[rows];
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int f = r % 256; f < D_SAE; f += 256) {
                builder.add(f, (float) Math.pow(10, -3.5 + 7 * random.nextDouble()));
            }
            builder.endRow();
            docs[r] = r / 128;
            positions[r] = r % 128;
        }
        SparseCodes codes = builder.build();
        long before = usedHeap();
        FeatureStats features = new FeatureStats(D_SAE);
        ReconstructionStats reconstruction = new ReconstructionStats(D_IN);
        TopExamples top = new TopExamples(D_SAE);
        ActivationHistogram histogram = new ActivationHistogram(D_SAE);
        IntervalSamples intervals = new IntervalSamples(D_SAE);
        for (int pass = 0; pass < 8; pass++) {
            for (int r = 0; r < rows; r++) docs[r] += 1000;
            features.addAll(codes);
            top.addAll(codes, docs, positions);
            histogram.addAll(codes);
            intervals.addAll(codes, docs, positions);
        }
        long heap = usedHeap() - before;
        System.out.printf(Locale.ROOT, "state, all features alive: heap %.1f MiB (all five accumulators)%n", mib(heap));
        report("FeatureStats", features.toBytes().length);
        report("ReconstructionStats", reconstruction.toBytes().length);
        report("TopExamples k=20", top.toBytes().length);
        report("ActivationHistogram", histogram.toBytes().length);
        report("IntervalSamples 14x5", intervals.toBytes().length);
    }

    private static void report(String what, int bytes) {
        System.out.printf(Locale.ROOT, "  %-22s serialized %.2f MiB%n", what, mib(bytes));
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
