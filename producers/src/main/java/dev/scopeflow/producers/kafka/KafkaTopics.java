package dev.scopeflow.producers.kafka;

import dev.scopeflow.schemas.TopicNames;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates ScopeFlow's topics if they are missing (brokers may have auto-creation off, as they should). */
public final class KafkaTopics {

    private KafkaTopics() {}

    /**
     * Largest record the corpus topic takes ({@code max.message.bytes}, set when this creates it): one document of
     * up to {@link dev.scopeflow.producers.corpus.CorpusReader#DEFAULT_MAX_DOCUMENT_BYTES} as JSON, with room for
     * escapes. Kafka's default (1 MiB) would refuse long documents that {@code produce} reads.
     */
    public static final int CORPUS_MAX_MESSAGE_BYTES = 32 << 20;

    /**
     * Ensures the corpus, activations, documents, evaluations and dead-letter topics exist. All but the dead letters
     * get {@code partitions} partitions (the consumer parallelism ceiling: at most that many workers share a run's
     * corpus); replication is the broker's default.
     */
    public static void ensure(String bootstrapServers, TopicNames topics, int partitions) {
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                30_000))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = List.of(
                            new NewTopic(topics.corpus(), Optional.of(partitions), Optional.empty())
                                    .configs(Map.of("max.message.bytes", String.valueOf(CORPUS_MAX_MESSAGE_BYTES))),
                            new NewTopic(topics.activations(), Optional.of(partitions), Optional.empty()),
                            new NewTopic(topics.documents(), Optional.of(partitions), Optional.empty()),
                            new NewTopic(topics.evaluations(), Optional.of(partitions), Optional.empty()),
                            new NewTopic(topics.deadLetter(), Optional.of(1), Optional.empty()))
                    .stream()
                    .filter(t -> !existing.contains(t.name()))
                    .toList();
            if (!missing.isEmpty()) {
                admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
                awaitLeaders(admin, missing.stream().map(NewTopic::name).toList(), bootstrapServers);
            }
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException(
                        "cannot create topics on Kafka " + bootstrapServers + ": "
                                + e.getCause().getMessage(),
                        e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka " + bootstrapServers + " did not answer within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    /**
     * Waits until every partition of freshly created topics has a leader. An idempotent producer that sends
     * before that gets NOT_LEADER_OR_FOLLOWER, and its retries can then be refused as out of sequence for the
     * whole delivery timeout (seen on a loaded single-node KRaft broker). Right after the create, the broker
     * answering the describe may not know the topic yet (UNKNOWN_TOPIC_OR_PARTITION, a retriable error: seen
     * in CI); that is "not ready yet" too.
     */
    static void awaitLeaders(Admin admin, List<String> names, String bootstrapServers)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            if (haveLeaders(admin, names)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + names + " on Kafka " + bootstrapServers
                        + " have partitions without a leader after 30 s");
            }
            Thread.sleep(100);
        }
    }

    private static boolean haveLeaders(Admin admin, List<String> names)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, TopicDescription> described;
        try {
            described = admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RetriableException) {
                return false;
            }
            throw e;
        }
        return described.values().stream()
                .allMatch(d -> d.partitions().stream()
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
    }
}
