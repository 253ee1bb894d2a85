package dev.scopeflow.producers.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad checkpoints and requests fail with an error naming the file, field or site. */
class CheckpointErrorsTest {

    @TempDir
    Path tmp;

    @Test
    void missingShardIsNamed() throws IOException {
        Path model = TinyGemma.write(tmp.resolve("m"), "bf16", 3);
        Files.delete(model.resolve("model-00002-of-00003.safetensors"));
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(model))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model.safetensors.index.json")
                .hasMessageContaining("model-00002-of-00003.safetensors")
                .hasMessageContaining("missing");
    }

    @Test
    void corruptShardHeaderIsNamed() throws IOException {
        Path model = TinyGemma.write(tmp.resolve("m"), "f32", 2);
        Path shard = model.resolve("model-00001-of-00002.safetensors");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[8] = '#'; // the JSON header's opening brace
        Files.write(shard, bytes);
        assertThatThrownBy(() -> Gemma2Model.load(model, Gemma2Model.LoadOptions.allLayers(ComputeDevice.CPU)))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model-00001-of-00002.safetensors")
                .hasMessageContaining("corrupt safetensors header");
    }

    @Test
    void modelTypeOtherThanGemma2IsRejectedEvenWithAGemma2Architecture() throws IOException {
        ObjectNode config = TinyGemma.defaultConfig();
        config.put("model_type", "llama");
        Path model = TinyGemma.write(tmp.resolve("m"), config, "f32", 1, 1);
        assertThat(TinyGemma.defaultConfig().get("architectures").get(0).asText())
                .isEqualTo(Gemma2Config.ARCHITECTURE);
        assertThatThrownBy(() -> Gemma2Config.load(model))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("'model_type' is 'llama'")
                .hasMessageContaining("gemma2");

        config.remove("model_type");
        Path untyped = TinyGemma.write(tmp.resolve("untyped"), config, "f32", 1, 1);
        assertThatThrownBy(() -> Gemma2Config.load(untyped)).hasMessageContaining("'model_type' is missing");

        config.put("model_type", "gemma2");
        Path gemma = TinyGemma.write(tmp.resolve("gemma"), config, "f32", 1, 1);
        assertThat(Gemma2Config.load(gemma).hiddenSize())
                .isEqualTo(config.get("hidden_size").asInt());
    }

    @Test
    void unsupportedArchitectureIsNamed() {
        ObjectNode config = TinyGemma.defaultConfig();
        config.putArray("architectures").add("LlamaForCausalLM");
        Path model = TinyGemma.write(tmp.resolve("m"), config, "f32", 1, 1);
        assertThatThrownBy(() -> Gemma2Config.load(model))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("'architectures'")
                .hasMessageContaining("LlamaForCausalLM")
                .hasMessageContaining("Gemma2ForCausalLM");
    }

    @Test
    void badConfigFieldIsNamed() {
        ObjectNode config = TinyGemma.defaultConfig();
        config.put("num_key_value_heads", 3);
        Path model = TinyGemma.write(tmp.resolve("m"), config, "f32", 1, 1);
        assertThatThrownBy(() -> Gemma2Config.load(model))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("'num_key_value_heads'")
                .hasMessageContaining("must divide");
    }

    @Test
    void weightWidthThatDisagreesWithConfigIsNamed() throws IOException {
        Path model = TinyGemma.write(tmp.resolve("m"), "f32", 1);
        Path config = model.resolve("config.json");
        Files.writeString(
                config,
                Files.readString(config)
                        .replace("\"intermediate_size\" : 96", "\"intermediate_size\" : 80")
                        .replace("\"intermediate_size\": 96", "\"intermediate_size\": 80"));
        assertThat(Gemma2Config.load(model).intermediateSize()).isEqualTo(80);
        assertThatThrownBy(() -> Gemma2Model.load(model, Gemma2Model.LoadOptions.allLayers(ComputeDevice.CPU)))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("mlp.gate_proj.weight")
                .hasMessageContaining("160"); // 2 x 80 stacked gate/up rows expected, 192 found
    }

    @Test
    void siteBeyondTheModelIsNamed() {
        Path model = TinyGemma.write(tmp.resolve("m"), "f32", 1);
        try (Gemma2Model gemma = Gemma2Model.load(model, Gemma2Model.LoadOptions.allLayers(ComputeDevice.CPU))) {
            TokenBatch batch = TokenBatch.rightPadded(List.of(new int[] {2, 5, 6}), 0);
            assertThatThrownBy(() -> gemma.capture(batch, List.of(Site.parse("res.4")), false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("res.4")
                    .hasMessageContaining("4 layers");
            assertThatThrownBy(() -> gemma.capture(
                            TokenBatch.rightPadded(List.of(new int[] {2, 256}), 0),
                            List.of(Site.parse("res.0")),
                            false))
                    .hasMessageContaining("outside the vocabulary of 256");
        }
    }

    @Test
    void partialLoadRefusesLaterSitesAndLogits() {
        Path model = TinyGemma.write(tmp.resolve("m"), "f32", 1);
        try (Gemma2Model gemma = Gemma2Model.load(model, Gemma2Model.LoadOptions.upToLayer(ComputeDevice.CPU, 1))) {
            assertThat(gemma.loadedLayers()).isEqualTo(2);
            TokenBatch batch = TokenBatch.rightPadded(List.of(new int[] {2, 5, 6}), 0);
            assertThat(gemma.capture(batch, List.of(Site.parse("mlp.1")), false).values(Site.parse("mlp.1")))
                    .hasSize(3 * 48);
            assertThatThrownBy(() -> gemma.capture(batch, List.of(Site.parse("res.2")), false))
                    .hasMessageContaining("only layers 0..1 were loaded");
            assertThatThrownBy(() -> gemma.capture(batch, List.of(), true))
                    .hasMessageContaining("logits need all 4 layers");
        }
    }

    @Test
    void missingCheckpointFilesAreNamed() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> Gemma2Config.load(empty)).hasMessageContaining("no config.json");
        assertThatThrownBy(() -> SafetensorsCheckpoint.open(empty)).hasMessageContaining("no model.safetensors");
    }

    @Test
    void slicedLoadingEqualsWholeTensorRead() {
        Path model = TinyGemma.write(tmp.resolve("m"), "bf16", 2);
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(model);
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            // 100 floats of staging = 2 rows of 48 per slice: the embedding (256 rows) loads in 128 slices.
            WeightLoader loader = new WeightLoader(checkpoint, manager, 100);
            NDArray embedding = loader.load("model.embed_tokens.weight", 256, 48);
            assertThat(embedding.toFloatArray()).containsExactly(checkpoint.readAll("model.embed_tokens.weight"));
            NDArray stacked = loader.loadStacked(
                    List.of("model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight"), 192, 48);
            float[] gate = checkpoint.readAll("model.layers.0.mlp.gate_proj.weight");
            float[] up = checkpoint.readAll("model.layers.0.mlp.up_proj.weight");
            float[] both = new float[gate.length + up.length];
            System.arraycopy(gate, 0, both, 0, gate.length);
            System.arraycopy(up, 0, both, gate.length, up.length);
            assertThat(stacked.toFloatArray()).containsExactly(both);
        }
    }
}
