package dev.scopeflow.producers.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.Site;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --text}: lines are tokenized with the checkpoint's tokenizer.json, BOS first, cut into windows. */
class CaptureTextTest {

    @TempDir
    Path tmp;

    @Test
    void textLinesBecomeBosPrefixedWindowsThatMatchTheReference() throws IOException {
        Path model = TinyGemma.write(tmp.resolve("m"), "bf16", 1);
        TinyGemma.writeWordTokenizer(model);
        Path text = tmp.resolve("corpus.txt");
        Files.writeString(text, "The City of Light is Paris .\n\nParis\n");
        Path out = tmp.resolve("out");
        CaptureExport.Result result = CaptureExport.run(CaptureRequest.builder()
                .setModel(model)
                .setTextFile(text)
                .setSites(List.of(Site.parse("res.2"), Site.parse("att.3")))
                .setOutDir(out)
                .optContextLength(5)
                .build());
        JsonNode tokens = new ObjectMapper().readTree(out.resolve("tokens.json").toFile());
        // 8 tokens with BOS -> [BOS the city of light] + [BOS is paris .]; the empty line is skipped.
        assertThat(tokens.toString()).isEqualTo("[[2,10,11,12,13],[2,14,15,16],[2,15]]");
        assertThat(result.sequences()).isEqualTo(3);
        JsonNode report = TinyGemma.check(model, out);
        assertThat(report.get("mask_ok").asBoolean()).isTrue();
        for (String site : List.of("res.2", "att.3")) {
            assertThat(report.get("sites").get(site).get("rel_err").asDouble())
                    .as(site)
                    .isLessThanOrEqualTo(2e-4);
        }
    }

    @Test
    void textWithoutTokenizerJsonIsAClearError() throws IOException {
        Path model = TinyGemma.write(tmp.resolve("m"), "f32", 1);
        Path text = Files.writeString(tmp.resolve("t.txt"), "hello\n");
        assertThatThrownBy(() -> CaptureExport.run(CaptureRequest.builder()
                        .setModel(model)
                        .setTextFile(text)
                        .setSites(List.of(Site.parse("res.0")))
                        .setOutDir(tmp.resolve("o"))
                        .build()))
                .hasMessageContaining("no tokenizer.json")
                .hasMessageContaining("copy the model's tokenizer.json")
                .hasMessageContaining("only capture can skip it, given token ids with --tokens");
    }

    @Test
    void badTokensFileAndRequestsAreClearErrors() throws IOException {
        Path model = TinyGemma.write(tmp.resolve("m"), "f32", 1);
        Path tokens = Files.writeString(tmp.resolve("t.json"), "[[2, 5], [2, -1]]");
        assertThatThrownBy(() -> CaptureExport.run(CaptureRequest.builder()
                        .setModel(model)
                        .setTokensFile(tokens)
                        .setSites(List.of(Site.parse("res.0")))
                        .setOutDir(tmp.resolve("o"))
                        .build()))
                .hasMessageContaining("t.json")
                .hasMessageContaining("entry 1, position 1");
        Path ok = Files.writeString(tmp.resolve("ok.json"), "[[2, 5]]");
        assertThatThrownBy(() -> CaptureExport.run(CaptureRequest.builder()
                        .setModel(model)
                        .setTokensFile(ok)
                        .setSites(List.of(Site.parse("mlp.9")))
                        .setOutDir(tmp.resolve("o"))
                        .build()))
                .hasMessageContaining("mlp.9 is beyond the model");
        assertThatThrownBy(() -> CaptureRequest.builder()
                        .setModel(model)
                        .setTokensFile(ok)
                        .setTextFile(ok)
                        .setSites(List.of(Site.parse("res.0")))
                        .setOutDir(tmp)
                        .build())
                .hasMessageContaining("exactly one input");
    }
}
