package dev.scopeflow.producers.stream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.producers.capture.CaptureExport;
import dev.scopeflow.producers.capture.CaptureRequest;
import dev.scopeflow.producers.kafka.KafkaProduction;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationBatchCodec;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.format.HalfFloats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code scopeflow produce} end to end against a real KRaft broker, checked against {@code scopeflow capture} (the
 * fidelity contract) on the same text: every activation row decoded from Kafka equals the captured row for the same
 * document position, bit for bit in f32 and after bf16 rounding in bf16, and the documents topic holds every window
 * with the very tokens the capture ran on.
 */
class ProduceMatchesCaptureITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaOnly();

    private static final List<Site> SITES = List.of(Site.parse("res.1"), Site.parse("att.3"), Site.parse("mlp.0"));
    /** Empty line skipped; the long line spans three 6-token windows (later windows get a BOS prepended). */
    private static final List<String> LINES = List.of(
            "the city of light is paris .",
            "",
            "paris",
            "light of the city is paris . the city of light is paris .",
            "of light");

    private static final int CONTEXT_LENGTH = 6;
    private static final int BATCH_SIZE = 3;

    private static Path model;
    private static Path corpus;
    private static Path captured;

    @BeforeAll
    static void capture() throws IOException {
        model = TinyGemma.write(SERVICES.workDir().resolve("m"), "bf16", 2);
        TinyGemma.writeWordTokenizer(model);
        corpus = Files.writeString(SERVICES.workDir().resolve("corpus.txt"), String.join("\n", LINES) + "\n");
        captured = SERVICES.workDir().resolve("captured");
        CaptureExport.run(CaptureRequest.builder()
                .setModel(model)
                .setTextFile(corpus)
                .setSites(SITES)
                .setOutDir(captured)
                .optContextLength(CONTEXT_LENGTH)
                .optBatchSize(BATCH_SIZE)
                .build());
    }

    @ParameterizedTest
    @EnumSource(ActivationDtype.class)
    void activationsOnKafkaEqualTheCaptureAndEveryDocumentIsPublished(ActivationDtype dtype) throws Exception {
        TopicNames topics = TopicNames.withPrefix(
                "pc-" + dtype.code() + "-" + UUID.randomUUID().toString().substring(0, 8));
        CorpusProducer.Settings settings = CorpusProducer.Settings.of(
                        "run-" + dtype.code(), KafkaProduction.modelId(model), SITES)
                .withDtype(dtype)
                .withContextLength(CONTEXT_LENGTH)
                .withBatchSize(BATCH_SIZE);
        CorpusProducer.Report report = KafkaProduction.run(
                model,
                corpus,
                "text",
                SERVICES.kafka().bootstrapServers(),
                topics,
                KafkaProduction.DEFAULT_PARTITIONS,
                settings,
                List.of(),
                KafkaProduction.Policy.NEW_RUN,
                ComputeDevice.CPU,
                ProducerProgress.NONE);

        assertThat(report.documents()).isEqualTo(4);
        assertThat(report.corpus().empty()).isEqualTo(1);
        assertThat(partitions(topics.activations())).isEqualTo(KafkaProduction.DEFAULT_PARTITIONS);
        assertThat(partitions(topics.documents())).isEqualTo(KafkaProduction.DEFAULT_PARTITIONS);

        // Documents topic: every window, in corpus order, with the tokens the capture ran on.
        List<JsonNode> windows = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (ConsumerRecord<byte[], byte[]> r : consume(topics.documents(), (int) report.windows())) {
            windows.add(json.readTree(r.value()));
        }
        windows.sort(Comparator.comparingLong((JsonNode n) -> n.get("doc_id").asLong())
                .thenComparingInt(n -> n.get("window").asInt()));
        assertThat(windows.stream()
                        .filter(n -> n.get("window").asInt() == 0)
                        .map(n -> n.get("text").asText()))
                .containsExactlyElementsOf(
                        LINES.stream().filter(l -> !l.isEmpty()).toList());
        JsonNode capturedTokens = json.readTree(captured.resolve("tokens.json").toFile());
        assertThat(windows).hasSize(capturedTokens.size());
        int[][] sequenceTokens = new int[windows.size()][];
        for (int s = 0; s < windows.size(); s++) {
            JsonNode w = windows.get(s);
            List<Integer> expected = new ArrayList<>();
            if (w.get("window").asInt() > 0) {
                expected.add(2); // the BOS prepended to a later window is not a document token
            }
            w.get("token_ids").forEach(id -> expected.add(id.asInt()));
            sequenceTokens[s] = expected.stream().mapToInt(Integer::intValue).toArray();
            assertThat(sequenceTokens[s]).as("window %d", s).containsExactly(ints(capturedTokens.get(s)));
        }
        assertThat(Arrays.stream(sequenceTokens).mapToInt(t -> t.length).sum() - (windows.size() - report.documents()))
                .isEqualTo(report.tokens());

        // Activations topic: one row per document token and site, equal to the captured row.
        Map<Site, Map<String, float[]>> rows = new HashMap<>();
        try (ActivationBatchCodec codec = new ActivationBatchCodec()) {
            for (ConsumerRecord<byte[], byte[]> r : consume(topics.activations(), (int) report.activationBatches())) {
                ActivationBatch b = codec.decode(r.value());
                assertThat(b.dtype()).isEqualTo(dtype);
                assertThat(b.runId()).isEqualTo(settings.runId());
                assertThat(TopicNames.docIdFromKey(r.key())).isEqualTo(b.docId(0));
                for (int i = 0; i < b.rows(); i++) {
                    float[] row = Arrays.copyOfRange(b.values(), i * b.width(), (i + 1) * b.width());
                    assertThat(rows.computeIfAbsent(b.site(), s -> new HashMap<>())
                                    .put(b.docId(i) + "@" + b.position(i), row))
                            .as("duplicate row %s doc %d position %d", b.site(), b.docId(i), b.position(i))
                            .isNull();
                }
            }
        }
        for (Site site : SITES) {
            Npy capture = Npy.readFloat32(captured.resolve(site + ".npy"));
            int seqLen = capture.shape[1];
            int width = capture.shape[2];
            long compared = 0;
            for (int s = 0; s < windows.size(); s++) {
                JsonNode w = windows.get(s);
                int skip = w.get("window").asInt() > 0 ? 1 : 0;
                for (int t = skip; t < sequenceTokens[s].length; t++) {
                    String key = w.get("doc_id").asLong() + "@"
                            + (w.get("first_position").asInt() + t - skip);
                    float[] actual = rows.get(site).get(key);
                    assertThat(actual).as("%s row %s", site, key).isNotNull();
                    float[] expected =
                            Arrays.copyOfRange(capture.data, (s * seqLen + t) * width, (s * seqLen + t + 1) * width);
                    if (dtype == ActivationDtype.BF16) {
                        for (int d = 0; d < width; d++) {
                            expected[d] = HalfFloats.roundToBf16(expected[d]);
                        }
                    }
                    assertThat(actual).as("%s row %s", site, key).containsExactly(expected);
                    compared++;
                }
            }
            assertThat(compared).isEqualTo(report.tokens());
            assertThat(rows.get(site)).hasSize((int) report.tokens());
        }
    }

    private static int partitions(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, SERVICES.kafka().bootstrapServers()))) {
            TopicDescription d =
                    admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            return d.partitions().size();
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected) {
        List<ConsumerRecord<byte[], byte[]>> out = SERVICES.readTopic(topic, expected);
        assertThat(out).as("records on " + topic).hasSize(expected);
        return out;
    }

    /** A little-endian float32 C-order .npy, as {@code scopeflow capture} writes it. */
    private record Npy(int[] shape, float[] data) {
        private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

        static Npy readFloat32(Path file) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            int major = buf.get(6);
            int headerLength = major == 1 ? Short.toUnsignedInt(buf.getShort(8)) : buf.getInt(8);
            int dataStart = (major == 1 ? 10 : 12) + headerLength;
            String header = new String(buf.array(), major == 1 ? 10 : 12, headerLength, StandardCharsets.US_ASCII);
            assertThat(header).as(file.toString()).contains("'descr': '<f4'").contains("'fortran_order': False");
            Matcher m = SHAPE.matcher(header);
            assertThat(m.find()).as(file + " header " + header).isTrue();
            int[] shape = Arrays.stream(m.group(1).split(","))
                    .map(String::trim)
                    .filter(x -> !x.isEmpty())
                    .mapToInt(Integer::parseInt)
                    .toArray();
            float[] data = new float[(buf.capacity() - dataStart) / 4];
            buf.position(dataStart);
            buf.asFloatBuffer().get(data);
            assertThat(data.length)
                    .as(file.toString())
                    .isEqualTo(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
            return new Npy(shape, data);
        }
    }
}
