package dev.scopeflow.flink;

import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.flink.operators.DocumentDecodeFunction;
import dev.scopeflow.flink.operators.EvaluationDecodeFunction;
import dev.scopeflow.flink.operators.KeyedTotalFunction;
import dev.scopeflow.flink.operators.SaeEncodeOperator;
import dev.scopeflow.flink.operators.SaeStatsFunction;
import dev.scopeflow.flink.registry.RunJobValidation;
import dev.scopeflow.flink.registry.RunsRegistry;
import dev.scopeflow.flink.sinks.ClickHouseActivationsSink;
import dev.scopeflow.flink.sinks.ClickHouseDocumentsSink;
import dev.scopeflow.flink.sinks.ClickHouseSnapshotSink;
import dev.scopeflow.flink.sinks.DownstreamStatsTable;
import dev.scopeflow.flink.sinks.RetryPolicy;
import dev.scopeflow.flink.sinks.RunProgressTable;
import dev.scopeflow.flink.sinks.SaeStatsTables;
import dev.scopeflow.flink.source.RawRecordDeserializer;
import dev.scopeflow.flink.source.RunCompletion;
import dev.scopeflow.flink.types.DeadLetter;
import dev.scopeflow.flink.types.DocumentRow;
import dev.scopeflow.flink.types.RawKafkaRecord;
import dev.scopeflow.flink.types.RunProgress;
import dev.scopeflow.flink.types.SaeCodesBatch;
import dev.scopeflow.flink.types.SaeDownstream;
import dev.scopeflow.flink.types.SaeStatsSnapshot;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import dev.scopeflow.schemas.results.ResultsReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feature-statistics job: activation batches from Kafka → SAE encode (fan-out to every SAE of the
 * batch's site) → per-(run, SAE) statistics (feature counts, top examples, reconstruction) in keyed state →
 * whole snapshots committed to ClickHouse at checkpoints; per-(run, site) progress likewise; the encoded
 * activations each SAE's store policy keeps → {@code feature_activations}, straight from the encode operator;
 * per-window model-in-the-loop sums of the evaluations topic → per-(run, SAE) totals → {@code downstream_stats};
 * undecodable or mismatched records → dead-letter topic.
 *
 * <p>{@link #build} takes the input stream and returns the output streams, so tests run the same graph on
 * any source; {@link #run} wires the production Kafka source and sinks and executes.
 */
public final class FeatureStatsJob {

    private static final Logger LOG = LoggerFactory.getLogger(FeatureStatsJob.class);

    private FeatureStatsJob() {}

    /**
     * The job's outputs: the encoded activations (one batch per record and SAE, for the activation store),
     * statistics snapshots, run progress, and the records that could not be used.
     */
    public record Outputs(
            DataStream<SaeCodesBatch> codes,
            DataStream<SaeStatsSnapshot> snapshots,
            DataStream<RunProgress> progress,
            DataStream<DeadLetter> deadLetters) {}

    /**
     * Where the job reads and writes; {@code clickHouseLogin} is null for the server's {@code default} user. The
     * record's {@code toString} shows the login's user only.
     */
    public record Endpoints(
            String kafkaBootstrap,
            TopicNames topics,
            String clickHouseUrl,
            ClickHouseLogin clickHouseLogin,
            String database,
            boolean bounded) {

        /** A client for the job's ClickHouse, logged in. */
        public ClickHouseHttp clickHouse() {
            return ClickHouseHttp.of(clickHouseUrl, clickHouseLogin);
        }
    }

    public static Outputs build(DataStream<RawKafkaRecord> records, FeatureStatsJobConfig config) {
        SingleOutputStreamOperator<SaeCodesBatch> codes = records.transform(
                        "sae-encode", TypeInformation.of(SaeCodesBatch.class), new SaeEncodeOperator(config))
                .uid("sae-encode");
        DataStream<SaeStatsSnapshot> snapshots = codes.keyBy(SaeCodesBatch::statsKey)
                .process(new SaeStatsFunction(config.topK(), config.snapshotIntervalMillis()))
                .name("sae-stats")
                .uid("sae-stats");
        DataStream<RunProgress> progress = codes.getSideOutput(SaeEncodeOperator.PROGRESS)
                .keyBy(RunProgress::key)
                .process(new KeyedTotalFunction<>(RunProgress.class, config.snapshotIntervalMillis()))
                .name("run-progress")
                .uid("run-progress");
        return new Outputs(codes, snapshots, progress, codes.getSideOutput(SaeEncodeOperator.DEAD_LETTERS));
    }

    /**
     * {@link #wire}s the job into {@code env} and runs it until it ends (a bounded run) or fails, restarting
     * under the config's bounded {@link FeatureStatsJobConfig#restartStrategy() failure-rate strategy}.
     */
    public static JobExecutionResult run(
            StreamExecutionEnvironment env, Endpoints endpoints, FeatureStatsJobConfig config) throws Exception {
        env.configure(config.restartStrategy());
        wire(env, endpoints, config);
        return env.execute(jobName(config));
    }

    /**
     * Runs the job as a registered run: checks it against what the producer recorded ({@link RunJobValidation}),
     * records the SAEs, their store policies and the run as running in the registry, runs the job,
     * and marks the run finished with the tokens the job committed (an unbounded job only returns when it
     * ends), or, when the job gives up, marks the run failed with the cause and throws {@link RunFailedException}.
     * What the demo, {@code scopeflow run-job} and {@code flink run} all do. The database must be migrated
     * already: by the CLI's service resolver, or by {@link FeatureStatsJobMain} under {@code flink run}.
     */
    public static JobExecutionResult runRegistered(
            StreamExecutionEnvironment env,
            Endpoints endpoints,
            FeatureStatsJobConfig config,
            String modelId,
            String corpus)
            throws Exception {
        return runRegistered(env, endpoints, config, modelId, corpus, LOG::info);
    }

    /**
     * {@link #runRegistered(StreamExecutionEnvironment, Endpoints, FeatureStatsJobConfig, String, String)}, telling
     * {@code status} what it waits for: a bounded job over an enqueued run ({@code run_corpus} records it) first waits
     * until the run's workers have produced every document and no transaction is open on the output topics
     * ({@link RunCompletion}), so it ends when the corpus is done and counts all of it, however it was started.
     */
    public static JobExecutionResult runRegistered(
            StreamExecutionEnvironment env,
            Endpoints endpoints,
            FeatureStatsJobConfig config,
            String modelId,
            String corpus,
            Consumer<String> status)
            throws Exception {
        ClickHouseHttp registry = endpoints.clickHouse();
        if (endpoints.bounded()
                && new ResultsReader(registry, endpoints.database())
                        .enqueuedCorpus(config.runId())
                        .isPresent()) {
            RunCompletion.await(endpoints.kafkaBootstrap(), endpoints.topics(), config.runId(), status);
        }
        RunJobValidation.check(new ResultsReader(registry, endpoints.database()), config);
        for (SaeSpec sae : config.saes()) {
            RunsRegistry.registerSae(registry, endpoints.database(), sae);
        }
        RunsRegistry.recordStorePolicies(registry, endpoints.database(), config);
        RunsRegistry.Run run = new RunsRegistry.Run(
                config.runId(),
                modelId,
                config.saes().stream().map(SaeSpec::site).distinct().toList(),
                config.saes(),
                corpus,
                Instant.now());
        RunsRegistry.markRunning(registry, endpoints.database(), run);
        JobExecutionResult result;
        try {
            result = run(env, endpoints, config);
        } catch (Exception e) {
            RunFailedException failed = new RunFailedException(config.runId(), e);
            try {
                RunsRegistry.markFailed(
                        registry,
                        endpoints.database(),
                        run,
                        RunsRegistry.committedTokens(registry, endpoints.database(), config.runId()),
                        failed.cause());
            } catch (RuntimeException unrecorded) {
                // ClickHouse may be what failed the job: the job's own cause still comes first.
                failed.addSuppressed(unrecorded);
            }
            throw failed;
        }
        RunsRegistry.markFinished(
                registry,
                endpoints.database(),
                run,
                RunsRegistry.committedTokens(registry, endpoints.database(), config.runId()));
        return result;
    }

    public static String jobName(FeatureStatsJobConfig config) {
        return "scopeflow feature stats (run " + config.runId() + ")";
    }

    /**
     * Adds the Kafka source, the job graph and the ClickHouse and dead-letter sinks to {@code env}; the activation
     * store's sink only when some SAE's store policy is not {@code none}.
     */
    public static void wire(StreamExecutionEnvironment env, Endpoints endpoints, FeatureStatsJobConfig config) {
        DataStream<RawKafkaRecord> records = env.fromSource(
                        kafkaSource(endpoints, endpoints.topics().activations(), config.runId()),
                        WatermarkStrategy.noWatermarks(),
                        "activations")
                .uid("activations-source");
        Outputs outputs = build(records, config);
        RetryPolicy retry = ClickHouseSnapshotSink.defaultRetryPolicy();
        outputs.snapshots()
                .sinkTo(new ClickHouseSnapshotSink<>(
                        endpoints.clickHouseUrl(),
                        endpoints.clickHouseLogin(),
                        endpoints.database(),
                        retry,
                        new SaeStatsTables(),
                        new SaeStatsSnapshot.Serializer()))
                .name("clickhouse-sae-stats")
                .uid("clickhouse-sae-stats");
        outputs.progress()
                .sinkTo(new ClickHouseSnapshotSink<>(
                        endpoints.clickHouseUrl(),
                        endpoints.clickHouseLogin(),
                        endpoints.database(),
                        retry,
                        new RunProgressTable(),
                        new RunProgress.Serializer()))
                .name("clickhouse-run-progress")
                .uid("clickhouse-run-progress");
        if (config.storesActivations()) {
            // Forward from the encode operator, so it chains there: the codes are not shipped a second time.
            outputs.codes()
                    .sinkTo(new ClickHouseActivationsSink(
                            endpoints.clickHouseUrl(),
                            endpoints.clickHouseLogin(),
                            endpoints.database(),
                            retry,
                            config))
                    .name("clickhouse-activations")
                    .uid("clickhouse-activations");
        }
        SingleOutputStreamOperator<DocumentRow> documents = env.fromSource(
                        kafkaSource(endpoints, endpoints.topics().documents(), config.runId()),
                        WatermarkStrategy.noWatermarks(),
                        "documents")
                .uid("documents-source")
                .process(new DocumentDecodeFunction(config.runId()))
                .name("document-decode")
                .uid("document-decode");
        documents
                .sinkTo(new ClickHouseDocumentsSink(
                        endpoints.clickHouseUrl(), endpoints.clickHouseLogin(), endpoints.database(), retry))
                .name("clickhouse-documents")
                .uid("clickhouse-documents");
        SingleOutputStreamOperator<SaeDownstream> evaluations = env.fromSource(
                        kafkaSource(endpoints, evaluationsTopic(endpoints), config.runId()),
                        WatermarkStrategy.noWatermarks(),
                        "evaluations")
                .uid("evaluations-source")
                .process(new EvaluationDecodeFunction(config.runId()))
                .name("evaluation-decode")
                .uid("evaluation-decode");
        evaluations
                .keyBy(SaeDownstream::key)
                .process(new KeyedTotalFunction<>(SaeDownstream.class, config.snapshotIntervalMillis()))
                .name("downstream-stats")
                .uid("downstream-stats")
                .sinkTo(new ClickHouseSnapshotSink<>(
                        endpoints.clickHouseUrl(),
                        endpoints.clickHouseLogin(),
                        endpoints.database(),
                        retry,
                        new DownstreamStatsTable(),
                        new SaeDownstream.Serializer()))
                .name("clickhouse-downstream-stats")
                .uid("clickhouse-downstream-stats");
        outputs.deadLetters()
                .union(documents.getSideOutput(SaeEncodeOperator.DEAD_LETTERS))
                .union(evaluations.getSideOutput(SaeEncodeOperator.DEAD_LETTERS))
                .sinkTo(deadLetterSink(endpoints))
                .name("dead-letter-sink")
                .uid("dead-letter-sink");
    }

    /**
     * The evaluations topic as a pattern: runs produced without {@code --eval-sae} by producers older than the topic
     * have none, and a pattern matching no topic reads nothing where a missing named topic would fail the job.
     */
    private static Pattern evaluationsTopic(Endpoints endpoints) {
        return Pattern.compile(Pattern.quote(endpoints.topics().evaluations()));
    }

    static KafkaSource<RawKafkaRecord> kafkaSource(Endpoints endpoints, String topic, String runId) {
        return kafkaSource(endpoints, KafkaSource.<RawKafkaRecord>builder().setTopics(List.of(topic)), runId);
    }

    private static KafkaSource<RawKafkaRecord> kafkaSource(Endpoints endpoints, Pattern topic, String runId) {
        return kafkaSource(endpoints, KafkaSource.<RawKafkaRecord>builder().setTopicPattern(topic), runId);
    }

    private static KafkaSource<RawKafkaRecord> kafkaSource(
            Endpoints endpoints, KafkaSourceBuilder<RawKafkaRecord> builder, String runId) {
        builder.setBootstrapServers(endpoints.kafkaBootstrap())
                .setGroupId("scopeflow-stats-" + runId)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setDeserializer(new RawRecordDeserializer())
                .setProperty("isolation.level", "read_committed");
        if (endpoints.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    static KafkaSink<DeadLetter> deadLetterSink(Endpoints endpoints) {
        String topic = endpoints.topics().deadLetter();
        return KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(endpoints.kafkaBootstrap())
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setRecordSerializer((KafkaRecordSerializationSchema<DeadLetter>) (letter, context, timestamp) -> {
                    RecordHeaders headers = new RecordHeaders();
                    headers.add(new RecordHeader("scopeflow.reason", letter.reason.getBytes(StandardCharsets.UTF_8)));
                    headers.add(new RecordHeader(
                            "scopeflow.source",
                            (letter.sourceTopic + "/" + letter.sourcePartition + "@" + letter.sourceOffset)
                                    .getBytes(StandardCharsets.UTF_8)));
                    return new ProducerRecord<>(topic, null, null, null, letter.value, headers);
                })
                .build();
    }
}
