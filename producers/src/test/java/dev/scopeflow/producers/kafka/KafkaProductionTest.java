package dev.scopeflow.producers.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class KafkaProductionTest {

    @Test
    void modelIdIsTheDirectoryNameOrTheRepoOfAHuggingFaceCacheSnapshot() {
        assertThat(KafkaProduction.modelId(Path.of("/models/gemma-2-2b/"))).isEqualTo("gemma-2-2b");
        assertThat(KafkaProduction.modelId(Path.of("/hf/hub/models--google--gemma-2-2b/snapshots/c5ebcd40d208")))
                .isEqualTo("google/gemma-2-2b");
        assertThat(KafkaProduction.modelId(Path.of("/x/snapshots/abc"))).isEqualTo("abc");
    }
}
