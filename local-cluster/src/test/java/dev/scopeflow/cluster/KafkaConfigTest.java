package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaConfigTest {

    @Test
    void singleNodeKraftOnLoopbackWithReplicationFactorOne() throws Exception {
        KafkaConfig config = new KafkaConfig(Path.of("/w/kafka"), 19092, 19093);
        Properties p = new Properties();
        p.load(new StringReader(config.propertiesText()));

        assertThat(p.getProperty("process.roles")).isEqualTo("broker,controller");
        assertThat(p.getProperty("controller.quorum.voters")).isEqualTo("1@127.0.0.1:19093");
        assertThat(p.getProperty("listeners")).isEqualTo("PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093");
        assertThat(p.getProperty("advertised.listeners")).isEqualTo("PLAINTEXT://127.0.0.1:19092");
        assertThat(p.getProperty("log.dirs")).isEqualTo("/w/kafka/data");
        assertThat(p.getProperty("auto.create.topics.enable")).isEqualTo("false");
        assertThat(p.getProperty("offsets.topic.replication.factor")).isEqualTo("1");
        assertThat(p.getProperty("transaction.state.log.replication.factor")).isEqualTo("1");
        assertThat(p.getProperty("transaction.state.log.min.isr")).isEqualTo("1");
        assertThat(p.getProperty("min.insync.replicas")).isEqualTo("1");
        assertThat(config.bootstrapServers()).isEqualTo("127.0.0.1:19092");
    }

    @Test
    void log4jConfigIsQuiet() {
        assertThat(new KafkaConfig(Path.of("/w"), 1, 2).log4jText()).contains("rootLogger.level = WARN");
    }

    @Test
    void rejectsSharedOrInvalidPorts() {
        assertThatThrownBy(() -> new KafkaConfig(Path.of("/w"), 9092, 9092)).hasMessageContaining("must differ");
        assertThatThrownBy(() -> new KafkaConfig(Path.of("/w"), 70000, 9093)).hasMessageContaining("1..65535");
    }
}
