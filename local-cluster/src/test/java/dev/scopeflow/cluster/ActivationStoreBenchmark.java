package dev.scopeflow.cluster;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.clickhouse.ClickHouseTsv;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import dev.scopeflow.schemas.results.DocumentsRows;
import dev.scopeflow.schemas.results.FeatureActivationsByTokenRows;
import dev.scopeflow.schemas.results.FeatureActivationsRows;
import dev.scopeflow.schemas.results.NamedQueries;
import dev.scopeflow.schemas.results.NamedQuery;
import dev.scopeflow.schemas.results.TopExamplesRows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Bytes on disk per stored activation in {@code feature_activations} (and its by-token copy) at corpus scale, and
 * the latency of every named query over it, on the embedded ClickHouse server. Run by hand, not by the build; see
 * BENCHMARKS.md. Arguments: stored activations (default 50 000 000), work dir (default a temp dir; an existing one
 * is reused without regenerating if it already holds the rows), timed runs per query (default 20).
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
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 20;
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
                System.out.printf(Locale.ROOT, "merged in %.1f s%n", (System.nanoTime() - t1) / 1e9);
            }
            if (count(ch, FeatureActivationsByTokenRows.TABLE.in(DB)) == 0) {
                long t0 = System.nanoTime();
                fillByToken(ch);
                System.out.printf(Locale.ROOT, "by-token rows in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            }
            System.out.println("server " + clickHouse.serverVersion() + ", work dir " + dir);
            reportBytes(ch, FeatureActivationsRows.TABLE.name(), rows);
            reportBytes(ch, FeatureActivationsByTokenRows.TABLE.name(), rows);
            if (count(ch, TopExamplesRows.TABLE.in(DB)) == 0) {
                writeContext(ch);
            }
            // Every column read once, so the OS page cache holds the store as on a server that has been serving
            // (a fresh server after a build measured the densest co-occurrence at 1.4 s instead of 0.4 s).
            for (String table : List.of(
                    FeatureActivationsRows.TABLE.in(DB),
                    FeatureActivationsByTokenRows.TABLE.in(DB),
                    DocumentsRows.TABLE.in(DB),
                    TopExamplesRows.TABLE.in(DB))) {
                ch.query("SELECT count() FROM " + table + " WHERE NOT ignore(*)");
            }
            timeNamedQueries(ch, runs);
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

    /**
     * The by-token rows of the generated activations, grouped server-side 64 documents at a time (the generator
     * goes feature by feature, so it never holds a token's features together). One thread and a sorted input keep
     * each token's features ascending, which is checked.
     */
    static void fillByToken(ClickHouseHttp ch) {
        long docs = Long.parseLong(ch.query("SELECT max(doc_id) + 1 FROM " + FeatureActivationsRows.TABLE.in(DB))
                .get(0)
                .get(0));
        for (long from = 0; from < docs; from += 64) {
            ch.execute("INSERT INTO " + FeatureActivationsByTokenRows.TABLE.in(DB) + " SELECT run_id, sae_id, doc_id,"
                    + " position, any(token_id), groupArray(feature), groupArray(activation) FROM (SELECT * FROM "
                    + FeatureActivationsRows.TABLE.in(DB) + " WHERE doc_id >= " + from + " AND doc_id < " + (from + 64)
                    + " ORDER BY run_id, sae_id, doc_id, position, feature) GROUP BY run_id, sae_id, doc_id, position"
                    + " SETTINGS max_threads = 1");
        }
        ch.execute("OPTIMIZE TABLE " + FeatureActivationsByTokenRows.TABLE.in(DB) + " FINAL");
        List<String> check = ch.query("SELECT sum(length(features)), countIf(arraySort(features) != features) FROM "
                        + FeatureActivationsByTokenRows.TABLE.in(DB))
                .get(0);
        if (!check.get(1).equals("0")
                || !check.get(0).equals(String.valueOf(count(ch, FeatureActivationsRows.TABLE.in(DB))))) {
            throw new IllegalStateException("by-token rows do not hold the activations in feature order: " + check);
        }
    }

    /**
     * What the job writes besides the store and {@code feature-windows} joins with: each feature's top 20
     * examples (from the stored rows) and every document's token window.
     */
    static void writeContext(ClickHouseHttp ch) {
        TopExamplesRows top = new TopExamplesRows(D_SAE * 20);
        int rank = 0;
        long previous = -1;
        for (List<String> row : ch.query("SELECT feature, doc_id, position, activation FROM "
                + FeatureActivationsRows.TABLE.in(DB) + " ORDER BY feature, activation DESC, doc_id, position"
                + " LIMIT 20 BY feature")) {
            long feature = Long.parseLong(row.get(0));
            rank = feature == previous ? rank + 1 : 1;
            previous = feature;
            top.add(
                    RUN,
                    SAE,
                    feature,
                    rank,
                    Long.parseLong(row.get(1)),
                    Long.parseLong(row.get(2)),
                    Float.parseFloat(row.get(3)),
                    1);
        }
        top.insertInto(ch, DB);
        long docs = Long.parseLong(ch.query("SELECT max(doc_id) + 1 FROM " + FeatureActivationsByTokenRows.TABLE.in(DB))
                .get(0)
                .get(0));
        DocumentsRows documents = new DocumentsRows((int) docs);
        for (long doc = 0; doc < docs; doc++) {
            int[] ids = new int[SEQ_LEN];
            ids[0] = 2;
            for (int p = 1; p < SEQ_LEN; p++) {
                ids[p] = tokenId(doc, p);
            }
            documents.add(RUN, doc, 0, ids, "");
        }
        documents.insertInto(ch, DB);
    }

    /**
     * p50 and p95 of each named query over {@code runs} runs, each with another random feature (uniform over the
     * features that fire, as a researcher browsing features would pick them) or token; one untimed warm-up run.
     */
    static void timeNamedQueries(ClickHouseHttp ch, int runs) {
        List<Long> firing = ch.query("SELECT DISTINCT feature FROM " + TopExamplesRows.TABLE.in(DB)).stream()
                .map(row -> Long.parseLong(row.get(0)))
                .toList();
        long docs = Long.parseLong(ch.query("SELECT max(doc_id) + 1 FROM " + DocumentsRows.TABLE.in(DB))
                .get(0)
                .get(0));
        SplittableRandom random = new SplittableRandom(7);
        for (NamedQuery query : NamedQueries.all()) {
            long[] micros = new long[runs];
            long rows = 0;
            for (int i = -1; i < runs; i++) {
                long doc = random.nextLong(docs);
                int position = 1 + random.nextInt(SEQ_LEN - 1);
                Map<String, String> arguments = new HashMap<>();
                for (NamedQuery.Parameter parameter : query.parameters()) {
                    String value = switch (parameter.name()) {
                        case "run" -> RUN;
                        case "sae" -> SAE;
                        case "feature" -> String.valueOf(firing.get(random.nextInt(firing.size())));
                        case "doc" -> String.valueOf(doc);
                        case "position", "from" -> String.valueOf(position);
                        case "to" -> String.valueOf(Math.min(SEQ_LEN, position + 64));
                        default -> null; // the query's default
                    };
                    if (value != null) {
                        arguments.put(parameter.name(), value);
                    }
                }
                long t0 = System.nanoTime();
                QueryResult result = query.run(ch, DB, arguments);
                if (i >= 0) {
                    micros[i] = (System.nanoTime() - t0) / 1_000;
                    rows += result.rows().size();
                }
            }
            Arrays.sort(micros);
            System.out.printf(
                    Locale.ROOT,
                    "%-24s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms  (%d runs, %.1f rows per answer)%n",
                    query.name(),
                    micros[runs / 2] / 1e3,
                    micros[(int) Math.ceil(runs * 0.95) - 1] / 1e3,
                    micros[runs - 1] / 1e3,
                    runs,
                    rows / (double) runs);
        }
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
