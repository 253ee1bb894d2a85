package dev.scopeflow.producers.kafka;

import dev.scopeflow.producers.corpus.CorpusReader;
import dev.scopeflow.producers.model.ComputeDevice;
import dev.scopeflow.producers.model.Gemma2Model;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.producers.stream.ProducerProgress;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import java.nio.file.Path;
import java.util.Properties;

/**
 * {@code scopeflow produce}: a corpus through a Gemma 2 checkpoint into Kafka — activation batches (Arrow, bf16 by
 * default) on the activations topic and document windows on the documents topic, both keyed by document id.
 * Creates the topics when missing. Loads only the layers the sites need.
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

    public static CorpusProducer.Report run(
            Path modelDir,
            Path corpusPath,
            String textField,
            String bootstrapServers,
            TopicNames topics,
            int partitions,
            CorpusProducer.Settings settings,
            ComputeDevice device,
            ProducerProgress progress) {
        int lastLayer = settings.sites().stream().mapToInt(Site::layer).max().orElseThrow();
        KafkaTopics.ensure(bootstrapServers, topics, partitions);
        Properties props = ActivationPublisher.producerProperties(bootstrapServers);
        try (Gemma2Model model = Gemma2Model.load(modelDir, Gemma2Model.LoadOptions.upToLayer(device, lastLayer));
                GemmaTokenizer tokenizer =
                        GemmaTokenizer.load(modelDir, model.config().bosTokenId());
                CorpusReader corpus =
                        CorpusReader.open(corpusPath, textField, CorpusReader.DEFAULT_MAX_DOCUMENT_BYTES);
                ActivationPublisher activations = new ActivationPublisher(props, topics);
                DocumentPublisher documents = new DocumentPublisher(props, topics)) {
            return CorpusProducer.run(model, tokenizer, corpus, settings, activations::publish, documents, progress);
        }
    }
}
