package dev.scopeflow.benchmarks;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The ratios of {@link EncodeBenchmark} measured in interleaved rounds: each round times one batch of the plain
 * matmul, encode and encode + statistics back to back, so load from other processes on a shared machine hits
 * all three alike, and the median per-round ratio is reported. Complements the JMH run, whose benchmarks run
 * one after another. Args: rounds (default 30), device (cpu, cuda or auto; default cpu), and for a quick dry run
 * smaller shapes d_in d_sae rows (default the Gemma-2-2B 16k SAE on 1024 rows).
 */
public final class PairedRatio {

    private PairedRatio() {}

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        EncodeBenchmark b = new EncodeBenchmark();
        b.device = args.length > 1 ? args[1] : "cpu";
        if (args.length > 4) {
            b.dIn = Integer.parseInt(args[2]);
            b.dSae = Integer.parseInt(args[3]);
            b.rows = Integer.parseInt(args[4]);
        }
        b.setUp();
        System.out.printf(
                Locale.ROOT, "encode: d_in %d, d_sae %d, %d rows, device %s%n", b.dIn, b.dSae, b.rows, b.device);
        String[] names = {"matmul", "encode", "encodeAndStats", "encodeAndAllStats"};
        Supplier<?>[] ops = {b::matmul, b::encode, b::encodeAndStats, b::encodeAndAllStats};
        for (int warm = 0; warm < 3; warm++) {
            for (Supplier<?> op : ops) op.get();
        }
        double[][] seconds = new double[ops.length][rounds];
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < ops.length; i++) {
                int op = (i + round) % ops.length; // rotate the order so no op always runs first
                long start = System.nanoTime();
                ops[op].get();
                seconds[op][round] = (System.nanoTime() - start) / 1e9;
            }
        }
        b.tearDown();
        double matmul = median(seconds[0]);
        for (int op = 0; op < ops.length; op++) {
            double[] ratio = new double[rounds];
            for (int round = 0; round < rounds; round++) ratio[round] = seconds[0][round] / seconds[op][round];
            System.out.printf(
                    Locale.ROOT,
                    "%-18s median %8.1f tokens/s   fraction of matmul (median per round) %.3f%n",
                    names[op],
                    b.rows / median(seconds[op]),
                    median(ratio));
        }
        double[] overhead = new double[rounds];
        double[] overheadAll = new double[rounds];
        for (int round = 0; round < rounds; round++) {
            overhead[round] = seconds[2][round] / seconds[1][round] - 1;
            overheadAll[round] = seconds[3][round] / seconds[1][round] - 1;
        }
        System.out.printf(
                Locale.ROOT,
                "statistics overhead over encode (median per round): %.1f %% (with histogram and "
                        + "interval samples %.1f %%); matmul %.1f GFLOP/s%n",
                100 * median(overhead),
                100 * median(overheadAll),
                2.0 * b.rows * b.dIn * b.dSae / matmul / 1e9);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
