package dev.scopeflow.producers.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.producers.stream.ActivationArrayProducer;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.TopicNames;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import dev.scopeflow.schemas.format.NpyWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaProductionTest {

    @Test
    void modelIdIsTheDirectoryNameOrTheRepoOfAHuggingFaceCacheSnapshot() {
        assertThat(KafkaProduction.modelId(Path.of("/models/gemma-2-2b/"))).isEqualTo("gemma-2-2b");
        assertThat(KafkaProduction.modelId(Path.of("/hf/hub/models--google--gemma-2-2b/snapshots/c5ebcd40d208")))
                .isEqualTo("google/gemma-2-2b");
        assertThat(KafkaProduction.modelId(Path.of("/x/snapshots/abc"))).isEqualTo("abc");
    }

    /** Refused before Kafka is contacted (nothing listens at the address) and before the run is recorded. */
    @Test
    void anArrayWithoutARealPositionIsRefusedBeforeAnythingIsRecordedOrSent(@TempDir Path dir) throws Exception {
        Path acts = dir.resolve("res.1.npy");
        NpyWriter.writeFloat32(acts, new float[2 * 3 * 4], 2, 3, 4);
        Path zeros = dir.resolve("attention_mask.npy");
        NpyWriter.writeFloat32(zeros, new float[2 * 3], 2, 3);
        List<String> recorded = new ArrayList<>();
        assertThatThrownBy(() -> KafkaProduction.publishArray(
                        ActivationArrayFiles.read(acts, zeros, null),
                        "127.0.0.1:1",
                        TopicNames.withPrefix("t"),
                        1,
                        ActivationArrayProducer.Settings.of("r", "m", Site.parse("res.1")),
                        new KafkaProduction.Policy(false, false, (run, model, widths) -> recorded.add(run))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(acts + ": no position to publish (2 sequences of 3; a mask of zeros or empty token lists "
                        + "leave none); nothing was published");
        assertThat(recorded).isEmpty();
    }
}
