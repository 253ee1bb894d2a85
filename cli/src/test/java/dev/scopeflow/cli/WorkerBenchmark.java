package dev.scopeflow.cli;

import dev.scopeflow.cluster.LocalServices;
import dev.scopeflow.producers.testing.TinyGemma;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 13's worker benchmark, run by hand: the same corpus through a 1-layer Gemma-2-2B-shaped checkpoint
 * (hidden 2304, intermediate 9216, 16k vocabulary, numpy-written; site res.0, 256-token windows, 4 per forward) on the embedded
 * services, produced three ways, interleaved for {@code rounds} rounds in one session, each in its own JVM as deployed:
 *
 * <ul>
 *   <li><b>direct</b>: {@code produce --append}, the corpus file straight through the model to Kafka with the
 *       idempotent, non-transactional producer;
 *   <li><b>1 worker</b>: {@code enqueue}, then one {@code worker}: the same records in transactions with the consumed
 *       offsets;
 *   <li><b>2 workers</b>: {@code enqueue}, then two {@code worker}s started together, with 1 PyTorch thread each
 *       (the 2 cores shared out) and with 2 each (PyTorch's default here: oversubscribed).
 * </ul>
 *
 * The direct run and the single worker use PyTorch's default (2 threads).
 *
 * Throughput is the commands' own tokens/s, which leave JVM start and model loading out on every side: produce's
 * from its first document to its last send, a worker's from its first document to its last commit; for two
 * workers it is both workers' tokens over the longer of their two times.
 *
 * <pre>java -Xmx1g -cp ... dev.scopeflow.cli.WorkerBenchmark WORK_DIR [documents=400] [rounds=2]</pre>
 */
public final class WorkerBenchmark {

    private static final Pattern RATE = Pattern.compile("(\\d+) tokens in ([0-9.]+) s \\((\\d+) tokens/s\\)");
    private static final String[] WORDS = {"the", "city", "of", "light", "is", "paris", "."};

    private WorkerBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]).toAbsolutePath();
        int documents = args.length > 1 ? Integer.parseInt(args[1]) : 400;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Path model = work.resolve("model");
        if (!Files.exists(model.resolve("config.json"))) {
            TinyGemma.write(model, TinyGemma.gemma2bShapedConfig(1, 16384), "bf16", 1, 7);
            TinyGemma.writeWordTokenizer(model);
        }
        Path corpus = work.resolve("corpus.txt");
        StringBuilder text = new StringBuilder();
        for (int doc = 0; doc < documents; doc++) {
            int words = 40 + (doc * 7919) % 60;
            for (int w = 0; w < words; w++) {
                text.append(w > 0 ? " " : "").append(WORDS[(doc * 31 + w * 17) % WORDS.length]);
            }
            text.append('\n');
        }
        Files.writeString(corpus, text.toString());
        Path services = work.resolve("services");
        List<String> table = new ArrayList<>();
        try (LocalServices running =
                LocalServices.start(LocalServices.options().workDir(services).build())) {
            for (int round = 1; round <= rounds; round++) {
                String suffix = System.currentTimeMillis() + "-" + round;
                double[] direct =
                        rate(run(work, "direct-" + round, produceArgs(services, model, corpus, "direct-" + suffix)));
                table.add(row(round, "direct (produce --append)", direct));
                double[] one = workers(work, services, model, corpus, "one-" + suffix, 1, 2);
                table.add(row(round, "1 worker", one));
                double[] two = workers(work, services, model, corpus, "two-" + suffix, 2, 1);
                table.add(row(round, "2 workers, 1 thread each", two));
                double[] twoOversubscribed = workers(work, services, model, corpus, "twox-" + suffix, 2, 2);
                table.add(row(round, "2 workers, 2 threads each", twoOversubscribed));
                table.forEach(System.out::println);
            }
        }
        System.out.println("| round | mode | tokens | seconds | tokens/s |");
        System.out.println("| --- | --- | --- | --- | --- |");
        table.forEach(System.out::println);
    }

    private static List<String> produceArgs(Path services, Path model, Path corpus, String run) {
        List<String> args = new ArrayList<>(List.of("produce", "--corpus", corpus.toString(), "--append"));
        args.addAll(common(services, model, run));
        return args;
    }

    private static List<String> common(Path services, Path model, String run) {
        return List.of(
                "--work-dir",
                services.toString(),
                "--model",
                model.toString(),
                "--sites",
                "res.0",
                "--run-id",
                run,
                "--context-length",
                "256",
                "--batch-size",
                "4");
    }

    /**
     * Enqueues the corpus under {@code run}, starts {@code n} workers together with {@code threads} PyTorch threads
     * each, waits; {tokens, seconds, rate}.
     */
    private static double[] workers(Path work, Path services, Path model, Path corpus, String run, int n, int threads)
            throws Exception {
        String log = run(
                work,
                run + "-enqueue",
                List.of("enqueue", "--work-dir", services.toString(), "--corpus", corpus.toString(), "--run-id", run));
        if (!log.contains("documents on")) {
            throw new IllegalStateException("enqueue failed:\n" + log);
        }
        List<Process> processes = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> args = new ArrayList<>(List.of("worker", "--worker-id", "w" + i));
            args.addAll(common(services, model, run));
            Path file = work.resolve(run + "-w" + i + ".log");
            logs.add(file);
            processes.add(CommandProcess.startWithJvmOptions(
                    file, List.of("-Xmx2g", "-Dai.djl.pytorch.num_threads=" + threads), args.toArray(String[]::new)));
        }
        double tokens = 0;
        double seconds = 0;
        for (int i = 0; i < n; i++) {
            if (!processes.get(i).waitFor(30, TimeUnit.MINUTES)
                    || processes.get(i).exitValue() != 0) {
                throw new IllegalStateException("worker failed:\n" + Files.readString(logs.get(i)));
            }
            double[] r = rate(Files.readString(logs.get(i), StandardCharsets.UTF_8));
            tokens += r[0];
            seconds = Math.max(seconds, r[1]);
        }
        return new double[] {tokens, seconds, tokens / seconds};
    }

    private static String run(Path work, String name, List<String> args) throws IOException, InterruptedException {
        Path log = work.resolve(name + ".log");
        Process p = CommandProcess.startWithHeap(log, "2g", args.toArray(String[]::new));
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(name + " failed:\n" + Files.readString(log));
        }
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** {tokens, seconds, tokens/s} of a command's summary line. */
    private static double[] rate(String log) {
        Matcher m = RATE.matcher(log);
        if (!m.find()) {
            throw new IllegalStateException("no summary line in:\n" + log);
        }
        return new double[] {
            Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))
        };
    }

    private static String row(int round, String mode, double[] r) {
        return String.format(Locale.ROOT, "| %d | %s | %.0f | %.1f | %.1f |", round, mode, r[0], r[1], r[0] / r[1]);
    }
}
