package dev.scopeflow.producers.kafka;

import dev.scopeflow.producers.corpus.CorpusReader;
import dev.scopeflow.producers.model.Gemma2Model;
import dev.scopeflow.producers.stream.ActivationArrayProducer;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.producers.stream.ProducerProgress;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.WindowEvaluation;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@code scopeflow produce}: a corpus through a Gemma 2 checkpoint into Kafka — activation batches (Arrow, bf16 by
 * default) on the activations topic, document windows on the documents topic and, for SAEs evaluated with the model
 * in the loop, per-window sums on the evaluations topic, all keyed by document id.
 * Creates the topics when missing. Loads only the layers the sites need. {@link #publishArray} does the same for an
 * activation array that needs no model.
 */
public final class KafkaProduction {

    /** Partitions of topics this creates: the ceiling on consumer parallelism; existing topics are left as they are. */
    public static final int DEFAULT_PARTITIONS = 8;

    private KafkaProduction() {}

    /**
     * The model id recorded with every batch: the checkpoint directory's name, or {@code google/gemma-2-2b} for a
     * Hugging Face cache snapshot ({@code models--google--gemma-2-2b/snapshots/<commit>}), whose own name is a hash.
     */
    public static String modelId(Path modelDir) {
        Path dir = modelDir.toAbsolutePath().normalize();
        Path snapshots = dir.getParent();
        if (snapshots != null
                && snapshots.getFileName() != null
                && snapshots.getFileName().toString().equals("snapshots")
                && snapshots.getParent() != null
                && snapshots.getParent().getFileName() != null) {
            String repo = snapshots.getParent().getFileName().toString();
            if (repo.startsWith("models--")) {
                return repo.substring("models--".length()).replace("--", "/");
            }
        }
        return dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
    }

    /** What produce may do: add to a run that already has data, accept an empty corpus; and who records the run. */
    public record Policy(boolean append, boolean allowEmpty, SiteRecorder recorder) {
        /** A new run from a non-empty corpus, recorded nowhere. */
        public static final Policy NEW_RUN = new Policy(false, false, SiteRecorder.NONE);

        public Policy {
            Objects.requireNonNull(recorder, "recorder");
        }
    }

    /**
     * Records the sites a run publishes and their widths (the CLI writes them to ClickHouse's {@code run_sites},
     * which run-job checks SAEs against); called once, before the first record is sent.
     */
    @FunctionalInterface
    public interface SiteRecorder {
        SiteRecorder NONE = (runId, modelId, widths) -> {};

        void record(String runId, String modelId, Map<Site, Integer> widths);
    }

    /**
     * Publishes the corpus's activations and document windows, and with {@code evaluations} each window's
     * model-in-the-loop sums to the evaluations topic (the whole model is loaded then; else only the layers up to the
     * deepest site). Unless {@code policy.append()}, refuses a run id that already has document records in Kafka: a
     * rerun after a crash would count every token published before it twice. Unless {@code policy.allowEmpty()}, a
     * corpus without documents is an error.
     */
    public static CorpusProducer.Report run(
            Path modelDir,
            Path corpusPath,
            String textField,
            String bootstrapServers,
            TopicNames topics,
            int partitions,
            CorpusProducer.Settings settings,
            List<CorpusProducer.Evaluation> evaluations,
            Policy policy,
            ComputeDevice device,
            ProducerProgress progress) {
        prepareTopics(bootstrapServers, topics, partitions, settings.runId(), policy);
        Properties props = ActivationPublisher.producerProperties(bootstrapServers);
        CorpusProducer.Report report;
        try (Gemma2Model model = Gemma2Model.load(modelDir, loadOptions(settings, evaluations, device));
                GemmaTokenizer tokenizer =
                        GemmaTokenizer.load(modelDir, model.config().bosTokenId());
                CorpusReader corpus =
                        CorpusReader.open(corpusPath, textField, CorpusReader.DEFAULT_MAX_DOCUMENT_BYTES);
                ActivationPublisher activations = new ActivationPublisher(props, topics);
                JsonRecordPublisher<DocumentWindow> documents = JsonRecordPublisher.documents(props, topics);
                JsonRecordPublisher<WindowEvaluation> evaluated = JsonRecordPublisher.evaluations(props, topics)) {
            Map<Site, Integer> widths = widths(model, settings);
            // Document windows go out before their activations, so recording on the first one records the run
            // before any of its data exists, and an empty corpus records nothing.
            boolean[] recorded = {false};
            Consumer<DocumentWindow> recordingDocuments = window -> {
                if (!recorded[0]) {
                    policy.recorder().record(settings.runId(), settings.modelId(), widths);
                    recorded[0] = true;
                }
                documents.accept(window);
            };
            report = CorpusProducer.run(
                    model,
                    tokenizer,
                    corpus,
                    settings,
                    evaluations,
                    new CorpusProducer.Sinks(activations::publish, recordingDocuments, evaluated),
                    progress);
            // Until every record is acknowledged, as a worker's time runs to its last commit: the two compare.
            long flushStart = System.nanoTime();
            activations.flush();
            documents.flush();
            evaluated.flush();
            report = report.withSeconds(report.seconds() + (System.nanoTime() - flushStart) / 1e9);
        }
        return policy.allowEmpty() ? report : report.requireDocuments(corpusPath);
    }

    /**
     * {@code scopeflow worker}: loads the model as {@link #run} does, records the run's sites and widths, and works
     * on the run's documents from the corpus topic as a member of its worker group until the run is complete (see
     * {@link CorpusWorker}). {@code enqueueComplete} says whether the run's enqueue has recorded its last document.
     */
    public static CorpusWorker.Report work(
            Path modelDir,
            String bootstrapServers,
            TopicNames topics,
            int partitions,
            CorpusProducer.Settings settings,
            List<CorpusProducer.Evaluation> evaluations,
            CorpusWorker.Settings worker,
            BooleanSupplier enqueueComplete,
            SiteRecorder recorder,
            CorpusWorker.ProgressRecorder progressRecorder,
            ComputeDevice device,
            ProducerProgress progress) {
        KafkaTopics.ensure(bootstrapServers, topics, partitions);
        try (Gemma2Model model = Gemma2Model.load(modelDir, loadOptions(settings, evaluations, device));
                GemmaTokenizer tokenizer =
                        GemmaTokenizer.load(modelDir, model.config().bosTokenId())) {
            recorder.record(settings.runId(), settings.modelId(), widths(model, settings));
            return CorpusWorker.run(
                    model,
                    tokenizer,
                    bootstrapServers,
                    topics,
                    settings,
                    evaluations,
                    worker,
                    enqueueComplete,
                    progressRecorder,
                    progress);
        }
    }

    /** The whole model with evaluations (their splices run every layer), else the layers up to the deepest site. */
    private static Gemma2Model.LoadOptions loadOptions(
            CorpusProducer.Settings settings, List<CorpusProducer.Evaluation> evaluations, ComputeDevice device) {
        int lastLayer = settings.sites().stream().mapToInt(Site::layer).max().orElseThrow();
        return evaluations.isEmpty()
                ? Gemma2Model.LoadOptions.upToLayer(device, lastLayer)
                : Gemma2Model.LoadOptions.allLayers(device);
    }

    private static Map<Site, Integer> widths(Gemma2Model model, CorpusProducer.Settings settings) {
        Map<Site, Integer> widths = new LinkedHashMap<>();
        settings.sites().forEach(site -> widths.put(site, model.width(site)));
        return widths;
    }

    /**
     * {@code scopeflow publish}: an activation array someone already has, with its token windows (see
     * {@link ActivationArrayProducer}). The same refusal of a run with data as {@link #run}; the run's site and the
     * array's width are recorded once, before the first record. An array without a real position is an error
     * unless {@code policy.allowEmpty()}, before anything is recorded or sent.
     */
    public static ActivationArrayProducer.Report publishArray(
            ActivationArrayFiles input,
            String bootstrapServers,
            TopicNames topics,
            int partitions,
            ActivationArrayProducer.Settings settings,
            Policy policy) {
        if (input.realPositions() == 0 && !policy.allowEmpty()) {
            throw new IllegalArgumentException(input.activationsFile() + ": no position to publish ("
                    + input.sequences() + " sequences of " + input.seqLen() + "; a mask of zeros or empty token lists "
                    + "leave none); nothing was published");
        }
        prepareTopics(bootstrapServers, topics, partitions, settings.runId(), policy);
        if (input.realPositions() > 0) {
            policy.recorder().record(settings.runId(), settings.modelId(), Map.of(settings.site(), input.width()));
        }
        Properties props = ActivationPublisher.producerProperties(bootstrapServers);
        try (ActivationPublisher activations = new ActivationPublisher(props, topics);
                JsonRecordPublisher<DocumentWindow> documents = JsonRecordPublisher.documents(props, topics)) {
            return ActivationArrayProducer.run(input, settings, activations::publish, documents);
        }
    }

    /**
     * Creates missing topics and, unless {@code policy.append()}, refuses a run id that already has document records
     * in Kafka: a rerun after a crash would count every token published before it twice.
     */
    private static void prepareTopics(
            String bootstrapServers, TopicNames topics, int partitions, String runId, Policy policy) {
        KafkaTopics.ensure(bootstrapServers, topics, partitions);
        if (!policy.append()) {
            RunRecords.first(bootstrapServers, topics.documents(), runId).ifPresent(at -> {
                throw new IllegalStateException("run id '" + runId + "' already has data in Kafka (" + at
                        + "): publishing it again would count its tokens twice; pass --append to add to the run, or "
                        + "choose a new run id");
            });
        }
    }
}
