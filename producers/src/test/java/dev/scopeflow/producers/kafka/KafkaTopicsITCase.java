package dev.scopeflow.producers.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Topic creation against a real KRaft broker, including a topic the broker does not know yet. */
class KafkaTopicsITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaOnly();

    /**
     * CI once saw "This server does not host this topic-partition" right after creating topics: the broker
     * answering the describe did not know them yet. Here the topic appears only 1.5 s after the wait starts,
     * so the first describes certainly get that answer. Checked by switching it off: with the retriable error
     * rethrown, this test fails with UnknownTopicOrPartitionException.
     */
    @Test
    void waitingForLeadersOutlastsATopicTheBrokerDoesNotKnowYet() throws Exception {
        String bootstrap = SERVICES.kafka().bootstrapServers();
        String name = "late-topic";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain(name);
            CompletableFuture<Void> createLater = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep(1_500);
                    admin.createTopics(List.of(new NewTopic(name, Optional.of(2), Optional.empty())))
                            .all()
                            .get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long started = System.nanoTime();
            KafkaTopics.awaitLeaders(admin, List.of(name), bootstrap);
            createLater.get(30, TimeUnit.SECONDS);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                    .as("the wait lasted until the topic existed")
                    .isGreaterThanOrEqualTo(1_400);
            assertThat(admin.describeTopics(List.of(name))
                            .allTopicNames()
                            .get(30, TimeUnit.SECONDS)
                            .get(name)
                            .partitions())
                    .hasSize(2)
                    .allSatisfy(p -> assertThat(p.leader()).isNotNull());
        }
    }
}
