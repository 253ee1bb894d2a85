package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.producers.kafka.KafkaProduction;
import dev.scopeflow.producers.kafka.KafkaTopics;
import dev.scopeflow.schemas.CorpusDocument;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.results.ResultsReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code scopeflow enqueue} on the real broker and ClickHouse (issue 13): killed with SIGKILL mid-corpus and run
 * again, every document is on the corpus topic exactly once with the id {@code produce} gives it and the registry
 * holds the count; a complete run is refused; skipped records are counted; a resume from another corpus is
 * refused. Expected ids and texts are computed here from the lines written, not by the corpus reader.
 */
class EnqueueCommandITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    private static final String DB = "enqueue_it";

    /**
     * The resume mechanism is checked by switching it off: with {@code CommittedCorpus.read} returning
     * {@code NONE} (every document sent again), this test failed on documents found twice. What "already
     * published" means is checked too: with the resume scan reading {@code read_uncommitted} (everything in the log,
     * so also the killed enqueue's open transaction, aborted on resume), it failed on documents missing.
     */
    @Test
    void aKilledEnqueueResumesWithEveryDocumentOnceAndTheRunCountRecorded() throws Exception {
        TopicNames topics = TopicNames.withPrefix("enqueue-kill");
        KafkaTopics.ensure(bootstrap(), topics, KafkaProduction.DEFAULT_PARTITIONS);
        // 20000 lines, some empty and some invalid UTF-8: their ids are skipped, as produce skips them.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Map<Long, String> expected = new TreeMap<>();
        int lines = 20_000;
        for (int line = 0; line < lines; line++) {
            if (line % 97 == 13) {
                bytes.write('\n');
            } else if (line % 89 == 5) {
                bytes.writeBytes(new byte[] {'b', (byte) 0xFF, 'd', '\n'});
            } else {
                String text = "document " + line + ": the city of light is paris, ünï " + (line * 7919L % 1000);
                expected.put((long) line, text);
                bytes.writeBytes((text + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        Path corpus = Files.write(SERVICES.workDir().resolve("kill-corpus.txt"), bytes.toByteArray());
        String run = "killed-run";
        List<String> args = new ArrayList<>(enqueueArgs(topics, corpus, run, DB));
        args.addAll(List.of("--documents-per-transaction", "50"));

        Path log = SERVICES.workDir().resolve("enqueue-killed.log");
        Process child = CommandProcess.start(log, args.toArray(String[]::new));
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (committed(topics, run).isEmpty()) {
                assertThat(child.isAlive())
                        .as("enqueue still running before any commit; log:\n%s", readLog(log))
                        .isTrue();
                assertThat(System.nanoTime()).as("a first commit within 120 s").isLessThan(deadline);
                Thread.sleep(20);
            }
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no producer close, a transaction left open
            child.waitFor(30, TimeUnit.SECONDS);
        }
        List<CorpusDocument> beforeResume = committed(topics, run);
        assertThat(beforeResume.size())
                .as("killed mid-corpus (else this test tests no resume)")
                .isBetween(1, expected.size() - 1);
        assertThat(reader().enqueuedCorpus(run))
                .as("an incomplete run is not recorded")
                .isEmpty();

        CommandRun.Output resumed = CommandRun.execute(args.toArray(String[]::new));
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        assertExactlyOnce(committed(topics, run), expected);
        assertThat(resumed.out())
                .contains("run killed-run: " + expected.size() + " documents on enqueue-kill.corpus.v1")
                .contains((expected.size() - beforeResume.size()) + " sent now, " + beforeResume.size()
                        + " committed before");
        ResultsReader.EnqueuedCorpus recorded = reader().enqueuedCorpus(run).orElseThrow();
        assertThat(recorded.documents()).isEqualTo(expected.size());
        assertThat(recorded.records()).isEqualTo(lines);
        assertThat(recorded.empty()).isEqualTo(countLines(lines, l -> l % 97 == 13));
        assertThat(recorded.invalidUtf8()).isEqualTo(countLines(lines, l -> l % 89 == 5 && l % 97 != 13));
        assertThat(recorded.topic()).isEqualTo(topics.corpus());
        assertThat(recorded.corpus())
                .isEqualTo(corpus.toAbsolutePath().normalize().toString());

        // Complete now: a third run is refused and publishes nothing.
        CommandRun.Output again = CommandRun.execute(args.toArray(String[]::new));
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err())
                .contains(
                        "run id 'killed-run' is already enqueued: " + DB + ".run_corpus records its " + expected.size()
                                + " documents from " + corpus.toAbsolutePath().normalize())
                .contains("nothing was published");
        assertThat(committed(topics, run)).hasSize(expected.size());
    }

    @Test
    void emptyInvalidAndMalformedJsonlRecordsAreCountedAndSkippedWithTheirIdsKept() throws Exception {
        TopicNames topics = TopicNames.withPrefix("enqueue-jsonl");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(
                ("{\"body\":\"first\",\"text\":\"ignored\"}\n" // 0: document
                                + "\n" // 1: empty
                                + "{\"body\": 7}\n" // 2: malformed (not a string)
                                + "{not json\n" // 3: malformed
                                + "{\"body\":\"  \"}\n") // 4: empty text
                        .getBytes(StandardCharsets.UTF_8));
        bytes.writeBytes(new byte[] {'{', '"', 'b', 'o', 'd', 'y', '"', ':', '"', (byte) 0xC3, '"', '}', '\n'}); // 5
        bytes.writeBytes("{\"body\":\"sixth \\\"quoted\\\"\\ttab\"}\r\n".getBytes(StandardCharsets.UTF_8)); // 6
        Path corpus = Files.write(SERVICES.workDir().resolve("mixed.jsonl"), bytes.toByteArray());

        CommandRun.Output out =
                CommandRun.execute(concat(enqueueArgs(topics, corpus, "mixed", DB), "--jsonl-field", "body"));
        assertThat(out.exit()).as(out.err()).isZero();

        assertExactlyOnce(committed(topics, "mixed"), Map.of(0L, "first", 6L, "sixth \"quoted\"\ttab"));
        assertThat(committed(topics, "mixed"))
                .extracting(CorpusDocument::source)
                .containsExactlyInAnyOrder(corpus + ":1", corpus + ":7");
        ResultsReader.EnqueuedCorpus recorded = reader().enqueuedCorpus("mixed").orElseThrow();
        assertThat(List.of(
                        recorded.documents(),
                        recorded.records(),
                        recorded.empty(),
                        recorded.malformedJson(),
                        recorded.invalidUtf8(),
                        recorded.truncated()))
                .containsExactly(2L, 7L, 2L, 2L, 1L, 0L);
    }

    /**
     * What a resume checks against the topic: here the run's documents are committed but recorded in another
     * database, as after a kill between the last commit and the registry write. The same corpus finishes with
     * nothing sent; one whose last committed document changed is refused.
     */
    @Test
    void aResumeFromAnotherCorpusIsRefusedAndOneAfterTheLastCommitSendsNothing() throws Exception {
        TopicNames topics = TopicNames.withPrefix("enqueue-changed");
        Path corpus = Files.writeString(SERVICES.workDir().resolve("three.txt"), "one\ntwo\n\nthree\n");
        assertThat(CommandRun.execute(concat(enqueueArgs(topics, corpus, "r", DB)))
                        .exit())
                .isZero();

        Path changed = Files.writeString(SERVICES.workDir().resolve("changed.txt"), "one\ntwo\n\nthree!\n");
        CommandRun.Output refused = CommandRun.execute(concat(enqueueArgs(topics, changed, "r", "enqueue_other")));
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err())
                .contains(changed + " is not the corpus run 'r' was enqueued from to enqueue-changed.corpus.v1: "
                        + "document 3 (" + changed + ":4) has other text than the one committed");

        CommandRun.Output same = CommandRun.execute(concat(enqueueArgs(topics, corpus, "r", "enqueue_other")));
        assertThat(same.exit()).as(same.err()).isZero();
        assertThat(same.out()).contains("3 documents on enqueue-changed.corpus.v1 (0 sent now, 3 committed before)");
        assertExactlyOnce(committed(topics, "r"), Map.of(0L, "one", 1L, "two", 3L, "three"));
        assertThat(new ResultsReader(SERVICES.clickHouse().http(), "enqueue_other")
                        .enqueuedCorpus("r")
                        .orElseThrow()
                        .documents())
                .isEqualTo(3);
    }

    /**
     * Control characters are 6 bytes each in JSON: 6 M of them make a record over the topic's 32 MiB. Checked by
     * switching off the commit before the error: document 0 was then missing (its transaction aborted).
     */
    @Test
    void aDocumentTooLargeForTheTopicIsNamedAndTheDocumentsBeforeItStayCommitted() throws Exception {
        TopicNames topics = TopicNames.withPrefix("enqueue-large");
        Path corpus = SERVICES.workDir().resolve("large.txt");
        Files.writeString(corpus, "alpha\n" + "\u0001".repeat(6_000_000) + "\nomega\n", StandardCharsets.UTF_8);

        CommandRun.Output out = CommandRun.execute(concat(enqueueArgs(topics, corpus, "large", DB)));
        assertThat(out.exit()).isEqualTo(1);
        int recordBytes = new CorpusDocument("large", 1, "\u0001".repeat(6_000_000), corpus + ":2").toJson().length;
        assertThat(recordBytes).isEqualTo(6 * 6_000_000 + 51 + (corpus + ":2").length());
        assertThat(out.err())
                .contains("document 1 (" + corpus + ":2) is " + recordBytes + " bytes as a corpus record, over the "
                        + (32 * 1024 * 1024 - 4096));
        assertExactlyOnce(committed(topics, "large"), Map.of(0L, "alpha"));
        assertThat(reader().enqueuedCorpus("large")).isEmpty();
    }

    private static void assertExactlyOnce(List<CorpusDocument> documents, Map<Long, String> expected) {
        Map<Long, Long> copies =
                documents.stream().collect(Collectors.groupingBy(CorpusDocument::docId, Collectors.counting()));
        assertThat(copies.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey))
                .as("documents found more than once")
                .isEmpty();
        Map<Long, String> texts = documents.stream()
                .collect(
                        Collectors.toMap(CorpusDocument::docId, CorpusDocument::text, (a, b) -> a, LinkedHashMap::new));
        assertThat(expected.keySet().stream()
                        .filter(id -> !texts.containsKey(id))
                        .limit(20))
                .as("documents missing (the first 20)")
                .isEmpty();
        assertThat(new TreeMap<>(texts)).isEqualTo(new TreeMap<>(expected));
    }

    /**
     * The run's documents a {@code read_committed} consumer sees now (up to the last stable offsets), each checked
     * to be keyed by its document id.
     */
    private static List<CorpusDocument> committed(TopicNames topics, String runId) {
        List<CorpusDocument> documents = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap(),
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        IsolationLevel.READ_COMMITTED.toString()),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topics.corpus()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> stable = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < stable.get(p))) {
                assertThat(System.nanoTime()).as("read to the stable offsets").isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    CorpusDocument doc = CorpusDocument.fromJson(record.value());
                    assertThat(TopicNames.docIdFromKey(record.key())).isEqualTo(doc.docId());
                    if (doc.runId().equals(runId)) {
                        documents.add(doc);
                    }
                }
            }
        }
        return documents;
    }

    private static List<String> enqueueArgs(TopicNames topics, Path corpus, String runId, String db) {
        List<String> args = new ArrayList<>(List.of(
                "enqueue",
                "--corpus",
                corpus.toString(),
                "--run-id",
                runId,
                "--kafka",
                bootstrap(),
                "--topic-prefix",
                topics.prefix(),
                "--database",
                db));
        args.addAll(SERVICES.clickHouseWriterOptions());
        return args;
    }

    private static String[] concat(List<String> args, String... more) {
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static long countLines(int lines, java.util.function.IntPredicate which) {
        return java.util.stream.IntStream.range(0, lines).filter(which).count();
    }

    private static ResultsReader reader() {
        return new ResultsReader(SERVICES.clickHouse().http(), DB);
    }

    private static String bootstrap() {
        return SERVICES.kafka().bootstrapServers();
    }

    private static String readLog(Path log) throws IOException {
        return Files.isRegularFile(log) ? Files.readString(log) : "";
    }
}
