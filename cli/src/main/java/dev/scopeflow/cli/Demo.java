package dev.scopeflow.cli;

import dev.scopeflow.flink.FeatureStatsJob;
import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.producers.SyntheticActivations;
import dev.scopeflow.producers.corpus.CorpusReader;
import dev.scopeflow.producers.corpus.Document;
import dev.scopeflow.producers.kafka.ActivationPublisher;
import dev.scopeflow.producers.kafka.JsonRecordPublisher;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.producers.tokenizer.ContextWindows;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.producers.tokenizer.GemmaTokenizerPackage;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.GemmaTokens;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import dev.scopeflow.schemas.results.NamedQueries;
import dev.scopeflow.schemas.results.ResultsReader.SaeEvaluation;
import dev.scopeflow.schemas.results.RunSitesRows;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The walking skeleton end to end: a small bundled text ({@value #CORPUS}) tokenized by the real Gemma 2
 * tokenizer and cut into context windows as produce cuts them → synthetic activations for those tokens → Arrow
 * batches and document windows → Kafka → Flink job applying JumpReLU SAEs from Gemma Scope-format files →
 * per-feature statistics, the activation store and the documents → ClickHouse; then one named query over the
 * result, its tokens shown as text. The tokens are real and the activations are not, so every result has real
 * text context while no model is needed. {@link #run} is what {@code scopeflow demo} calls and what the demo ITCase
 * checks.
 */
public final class Demo {

    private static final String MODEL_ID = "synthetic/gemma-2-shaped";

    /** The bundled text: one JSON object per line, its text in {@value #TEXT_FIELD}, as produce reads JSONL. */
    static final String CORPUS = "demo-corpus.jsonl";

    static final String TEXT_FIELD = "text";

    /** Rows per activation batch: a few batches per window at the demo's sizes. */
    static final int MAX_ROWS = 64;

    /** Partitions of the demo's topics. */
    static final int PARTITIONS = 4;

    /** The named query the demo answers: the top features of the first tokens of document 0. */
    static final String ANSWERED_QUERY = "top-features-per-token";

    private Demo() {}

    /** What to run; defaults in {@link DemoCommand}. Where to run it comes from {@link Services}. */
    public record Settings(
            Path workDir,
            String runId,
            Site site,
            int maxDocs,
            int seqLen,
            int width,
            int dSae,
            int saes,
            int parallelism,
            long seed) {}

    /** What the run did; {@code saes} are read back from ClickHouse, each with a summary and a reconstruction. */
    public record Report(
            String runId,
            long documents,
            long windows,
            long tokens,
            long batches,
            long bytes,
            List<SaeEvaluation> saes,
            NamedAnswer answer,
            String clickHouseUrl,
            String database,
            Duration elapsed) {}

    /**
     * A named query's answer over the run: {@code rows} as the query returns them, {@code tokenTexts} the text of
     * each token id in them (through the tokenizer's decoder).
     */
    public record NamedAnswer(
            String name, Map<String, String> arguments, QueryResult rows, Map<Integer, String> tokenTexts) {}

    /** Runs the demo on {@code services}, whose ClickHouse schema the resolver has migrated. */
    static Report run(Settings s, Services services, PrintStream log) throws Exception {
        Instant start = Instant.now();
        ClickHouseHttp clickHouse = services.clickHouse();
        TopicNames topics = services.topics();
        KafkaTopics.ensure(services.kafkaBootstrap(), topics, PARTITIONS);

        List<SaeSpec> saes = writeSaes(s, clickHouse, log);
        // What produce records before publishing, so run-job's checks hold for the demo's run too.
        new RunSitesRows()
                .add(s.runId(), s.site(), s.width(), MODEL_ID, Instant.now())
                .insertInto(clickHouse, services.database());
        Path tokenizerDir = GemmaTokenizerPackage.directory();
        try (GemmaTokenizer tokenizer = GemmaTokenizer.load(tokenizerDir, GemmaTokens.BOS)) {
            log.printf(
                    "Tokenizer: the real Gemma 2 tokenizer (%s) from %s%n",
                    GemmaTokenizerPackage.PACKAGE, tokenizerDir);
            ProducedRun produced =
                    produce(s, tokenizer, bundledText(s.workDir()), services.kafkaBootstrap(), topics, log);
            FeatureStatsJobConfig.Builder config =
                    FeatureStatsJobConfig.builder().setRunId(s.runId());
            saes.forEach(config::addSae);
            log.printf(
                    "Flink: running the feature-statistics job (parallelism %d) on %s...%n",
                    s.parallelism(), services.flink().describe());
            FeatureStatsJob.runRegistered(
                    services.flink().environment(s.parallelism(), 2_000),
                    services.jobEndpoints(true),
                    config.build(),
                    MODEL_ID,
                    "synthetic activations of real Gemma 2 tokens: " + produced.documents
                            + " documents of the bundled demo text in windows of " + s.seqLen()
                            + " tokens (the tokens are real, the activations random)");

            List<SaeEvaluation> summaries = RunSummary.evaluations(
                    clickHouse,
                    services.database(),
                    s.runId(),
                    saes.stream().map(SaeSpec::saeId).toList());
            NamedAnswer answer = answer(
                    clickHouse, services.database(), s.runId(), saes.get(0).saeId(), tokenizer);
            return new Report(
                    s.runId(),
                    produced.documents,
                    produced.windows,
                    produced.tokens,
                    produced.batches,
                    produced.bytes,
                    summaries,
                    answer,
                    services.clickHouseUrl(),
                    services.database(),
                    Duration.between(start, Instant.now()));
        }
    }

    /**
     * {@link #ANSWERED_QUERY} over the first 8 tokens after BOS of document 0, 2 features each: BOS is the one
     * token the job never stores.
     */
    static NamedAnswer answer(
            ClickHouseHttp clickHouse, String db, String runId, String saeId, GemmaTokenizer tokenizer) {
        Map<String, String> arguments = new LinkedHashMap<>();
        arguments.put("run", runId);
        arguments.put("sae", saeId);
        arguments.put("doc", "0");
        arguments.put("from", "1");
        arguments.put("to", "9");
        arguments.put("n", "2");
        QueryResult rows = NamedQueries.named(ANSWERED_QUERY).run(clickHouse, db, arguments);
        int tokenColumn = rows.columns().indexOf("token_id");
        Map<Integer, String> texts = new TreeMap<>();
        for (List<String> row : rows.rows()) {
            int id = Integer.parseInt(row.get(tokenColumn));
            texts.computeIfAbsent(id, tokenizer::decode);
        }
        return new NamedAnswer(ANSWERED_QUERY, arguments, rows, texts);
    }

    /** The bundled text, copied into the work dir: produce's corpus reader reads files, and users can look at it. */
    static Path bundledText(Path workDir) throws IOException {
        Path file = workDir.resolve(CORPUS);
        Files.createDirectories(workDir);
        try (InputStream in = Demo.class.getResourceAsStream(CORPUS)) {
            if (in == null) {
                throw new IllegalStateException("the demo's text " + CORPUS + " is missing from the classpath");
            }
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    private record ProducedRun(long documents, long windows, long tokens, long batches, long bytes) {}

    /**
     * At most {@code maxDocs} documents of {@code text}, tokenized (BOS first) and cut into windows of
     * {@code seqLen} tokens as produce does; each window goes out as produce sends it, its document record first,
     * then synthetic activations of its document tokens (a prepended BOS is not one).
     */
    private static ProducedRun produce(
            Settings s, GemmaTokenizer tokenizer, Path text, String kafka, TopicNames topics, PrintStream log) {
        SyntheticActivations source =
                new SyntheticActivations(s.runId(), MODEL_ID, s.site(), s.width(), ActivationDtype.BF16, s.seed());
        ContextWindows splitter = new ContextWindows(s.seqLen(), tokenizer.bosTokenId());
        Properties producer = ActivationPublisher.producerProperties(kafka);
        long documents = 0;
        long windows = 0;
        long tokens = 0;
        long batches = 0;
        try (CorpusReader corpus = CorpusReader.jsonl(text, TEXT_FIELD);
                ActivationPublisher activations = new ActivationPublisher(producer, topics);
                JsonRecordPublisher<DocumentWindow> documentWindows = JsonRecordPublisher.documents(producer, topics)) {
            for (Document doc : corpus) {
                if (documents == s.maxDocs()) {
                    break;
                }
                documents++;
                List<ContextWindows.Window> split = splitter.split(tokenizer.encode(doc.text()));
                for (int w = 0; w < split.size(); w++) {
                    ContextWindows.Window window = split.get(w);
                    documentWindows.accept(CorpusProducer.documentWindow(
                            s.runId(), doc, w, window, CorpusProducer.DEFAULT_MAX_DOCUMENT_TEXT_CHARS));
                    int first = window.prependedBos() ? 1 : 0;
                    int[] ids = Arrays.copyOfRange(window.tokens(), first, window.tokens().length);
                    int[] positions = new int[ids.length];
                    for (int i = 0; i < ids.length; i++) {
                        positions[i] = window.documentPosition(first + i);
                    }
                    for (ActivationBatch batch : source.tokens(doc.id(), positions, ids, MAX_ROWS)) {
                        activations.publish(batch);
                        batches++;
                    }
                    windows++;
                    tokens += ids.length;
                }
            }
            documentWindows.flush();
            activations.flush();
            log.printf(
                    "Kafka %s: published %d documents of %s in %d windows of at most %d tokens to %s, and synthetic "
                            + "%s activations of their %d tokens in %d Arrow batches (%.1f MB, bf16) to %s%n",
                    kafka,
                    documents,
                    CORPUS,
                    windows,
                    s.seqLen(),
                    topics.documents(),
                    s.site(),
                    tokens,
                    batches,
                    activations.bytesSent() / 1e6,
                    topics.activations());
            return new ProducedRun(documents, windows, tokens, batches, activations.bytesSent());
        }
    }

    private static List<SaeSpec> writeSaes(Settings s, ClickHouseHttp clickHouse, PrintStream log) throws IOException {
        List<SaeSpec> saes = new ArrayList<>();
        for (int i = 0; i < s.saes(); i++) {
            // An SAE id names one set of weights across runs: everything the weights depend on is in it.
            String saeId = "demo/" + s.site() + "/d_in_" + s.width() + "/width_" + s.dSae() + "/seed_" + s.seed()
                    + "/sae_" + i;
            Path params = s.workDir().resolve("saes").resolve("sae_" + i).resolve("params.npz");
            DemoSaeWriter.write(params, s.width(), s.dSae(), s.seed() + 17 * (i + 1));
            SaeSpec spec = new SaeSpec(saeId, s.site(), params.toAbsolutePath().toString());
            saes.add(spec);
        }
        log.printf(
                "SAEs: %d JumpReLU SAEs with random weights (d_in %d, d_sae %d; so expect FVU near 1) in Gemma Scope params.npz format under %s%n",
                saes.size(), s.width(), s.dSae(), s.workDir().resolve("saes"));
        return saes;
    }
}
