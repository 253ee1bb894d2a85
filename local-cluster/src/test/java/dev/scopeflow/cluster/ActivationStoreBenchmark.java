package dev.scopeflow.cluster;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.results.FeatureActivationsRows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Bytes on disk per stored activation in {@code feature_activations} (and its by-token copy) at corpus scale, on
 * the embedded ClickHouse server. Run by hand, not by the build; see BENCHMARKS.md. Arguments: stored
 * activations (default 50 000 000), work dir (default a temp dir; an existing one is reused without
 * regenerating if it already holds the rows).
 *
 * <p>The rows are generated, not encoded by an SAE (encoding 700k tokens with a 16k SAE takes this machine about
 * half an hour per run): a 16k SAE's shape with L0 ≈ 70, feature densities log-uniform over four decades (as
 * real SAEs' density histograms are spread), activations = threshold + exponential tail rounded to float32, token
 * ids roughly Zipfian over Gemma's 256k vocabulary, 1024-token documents. Each feature's firing tokens are drawn
 * by geometric skips, so generation costs one step per stored row and the rows come out in the table's
 * (feature, doc, position) order, as the job's merged parts would be.
 */
public final class ActivationStoreBenchmark {

    static final String DB = "store_bench";
    static final String RUN = "bench-run";
    static final String SAE = "bench-16k";
    static final int D_SAE = 16_384;
    static final int SEQ_LEN = 1024;
    static final double L0 = 70;

    public static void main(String[] args) throws Exception {
        long target = args.length > 0 ? Long.parseLong(args[0]) : 50_000_000L;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("scopeflow-store-bench");
        try (EmbeddedClickHouse clickHouse = EmbeddedClickHouse.start(dir.resolve("clickhouse"))) {
            ClickHouseHttp ch = clickHouse.http();
            ClickHouseMigrations.apply(ch, DB);
            long rows = count(ch, FeatureActivationsRows.TABLE.in(DB));
            if (rows == 0) {
                long t0 = System.nanoTime();
                rows = generate(ch, target);
                System.out.printf(Locale.ROOT, "inserted %,d rows in %.1f s%n", rows, (System.nanoTime() - t0) / 1e9);
                long t1 = System.nanoTime();
                ch.execute("OPTIMIZE TABLE " + FeatureActivationsRows.TABLE.in(DB) + " FINAL");
                ch.execute("OPTIMIZE TABLE " + FeatureActivationsRows.BY_TOKEN.in(DB) + " FINAL");
                System.out.printf(Locale.ROOT, "merged in %.1f s%n", (System.nanoTime() - t1) / 1e9);
            }
            System.out.println("server " + clickHouse.serverVersion() + ", work dir " + dir);
            reportBytes(ch, FeatureActivationsRows.TABLE.name(), rows);
            reportBytes(ch, FeatureActivationsRows.BY_TOKEN.name(), rows);
        }
    }

    /** Generates about {@code target} activations feature by feature; returns the rows inserted. */
    static long generate(ClickHouseHttp ch, long target) {
        long tokens = Math.round(target / L0);
        SplittableRandom random = new SplittableRandom(20261202L);
        double[] density = densities(random);
        long inserted = 0;
        FeatureActivationsRows rows = new FeatureActivationsRows(1 << 20);
        for (int f = 0; f < D_SAE; f++) {
            double p = density[f];
            float threshold = (float) (0.5 + 2 * random.nextDouble());
            double tail = 0.5 + 4 * random.nextDouble();
            double logMiss = Math.log1p(-p);
            long token = -1;
            while (true) {
                // Geometric skip: the next token this feature fires on.
                token += 1 + (long) Math.floor(Math.log(1 - random.nextDouble()) / logMiss);
                if (token >= tokens) {
                    break;
                }
                long doc = token / (SEQ_LEN - 1);
                int position = 1 + (int) (token % (SEQ_LEN - 1)); // position 0 is BOS, never stored
                float activation = (float) (threshold - tail * Math.log(1 - random.nextDouble()));
                rows.add(RUN, SAE, f, doc, position, tokenId(doc, position), activation);
                if (rows.count() == 1_000_000) {
                    rows.insertInto(ch, DB);
                    inserted += rows.count();
                    rows = new FeatureActivationsRows(1 << 20);
                }
            }
        }
        rows.insertInto(ch, DB);
        return inserted + rows.count();
    }

    /** Log-uniform densities over [1e-5, 1e-1), scaled so they sum to L0 (the mean number firing per token). */
    private static double[] densities(SplittableRandom random) {
        double[] density = new double[D_SAE];
        double sum = 0;
        for (int f = 0; f < D_SAE; f++) {
            density[f] = Math.pow(10, -5 + 4 * random.nextDouble());
            sum += density[f];
        }
        for (int f = 0; f < D_SAE; f++) {
            density[f] = Math.min(0.5, density[f] * L0 / sum);
        }
        return density;
    }

    /** A fixed token per (doc, position), log-uniform over the vocabulary: a few ids are very frequent. */
    static int tokenId(long doc, int position) {
        long h = (doc * 1_000_003L + position) * 0x9E3779B97F4A7C15L;
        double u = ((h >>> 11) & ((1L << 53) - 1)) / (double) (1L << 53);
        return 3 + (int) Math.floor(Math.pow(256_000 - 3, u)) - 1;
    }

    private static long count(ClickHouseHttp ch, String table) {
        return Long.parseLong(ch.query("SELECT count() FROM " + table).get(0).get(0));
    }

    private static void reportBytes(ClickHouseHttp ch, String table, long rows) {
        String where = "database = " + ClickHouseTsv.quote(DB) + " AND table = " + ClickHouseTsv.quote(table);
        List<String> parts = ch.query("SELECT count(), sum(rows), sum(data_compressed_bytes), "
                        + "sum(data_uncompressed_bytes) FROM system.parts WHERE active AND " + where)
                .get(0);
        long compressed = Long.parseLong(parts.get(2));
        System.out.printf(
                Locale.ROOT,
                "%s: %s parts, %s rows, %,d bytes compressed (%.2f B per activation), %,d uncompressed%n",
                table,
                parts.get(0),
                parts.get(1),
                compressed,
                compressed / (double) rows,
                Long.parseLong(parts.get(3)));
        for (List<String> column : ch.query("SELECT name, data_compressed_bytes FROM system.columns WHERE " + where)) {
            System.out.printf(
                    Locale.ROOT,
                    "  %-12s %.2f B per activation%n",
                    column.get(0),
                    Long.parseLong(column.get(1)) / (double) rows);
        }
    }
}
