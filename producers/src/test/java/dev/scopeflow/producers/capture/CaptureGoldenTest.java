package dev.scopeflow.producers.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.Site;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden tests: {@code scopeflow capture} on tiny numpy-written checkpoints must match the independent numpy
 * reference to 2e-4 × max|value| at every site of every layer and in the logits.
 */
class CaptureGoldenTest {

    private static final double TOLERANCE = 2e-4;

    @TempDir
    Path tmp;

    private static List<Site> allSites(int layers) {
        List<Site> sites = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (Site.Kind kind : Site.Kind.values()) {
                sites.add(new Site(kind, l));
            }
        }
        return sites;
    }

    private Path tokensFile() throws IOException {
        Path file = tmp.resolve("tokens.json");
        new ObjectMapper().writeValue(file.toFile(), TinyGemma.sampleSequences());
        return file;
    }

    private JsonNode captureAndCheck(Path model, List<Site> sites, boolean logits, int batchSize) throws IOException {
        Path out = tmp.resolve("captured");
        CaptureExport.Result result = CaptureExport.run(CaptureRequest.builder()
                .setModel(model)
                .setTokensFile(tokensFile())
                .setSites(sites)
                .setOutDir(out)
                .optLogits(logits)
                .optBatchSize(batchSize)
                .build());
        assertThat(result.sequences()).isEqualTo(4);
        assertThat(result.seqLen()).isEqualTo(13);
        assertThat(result.tokens()).isEqualTo(13 + 7 + 1 + 10);
        JsonNode report = TinyGemma.check(model, out);
        assertThat(report.get("mask_ok").asBoolean()).as("attention_mask.npy").isTrue();
        assertThat(report.get("mask_dtype").asText()).isEqualTo("int64");
        return report;
    }

    private static void assertMatches(JsonNode report, List<String> expectedNames) {
        JsonNode sites = report.get("sites");
        assertThat(sites.size()).isEqualTo(expectedNames.size());
        for (String name : expectedNames) {
            JsonNode entry = sites.get(name);
            assertThat(entry).as(name).isNotNull();
            assertThat(entry.get("dtype").asText()).as(name).isEqualTo("float32");
            assertThat(entry.get("shape")).as(name + " shape").isEqualTo(entry.get("expected_shape"));
            assertThat(entry.get("rel_err").asDouble())
                    .as(name + " error relative to max|value|")
                    .isLessThanOrEqualTo(TOLERANCE);
            assertThat(entry.get("pad_max_abs").asDouble())
                    .as(name + " padding")
                    .isZero();
        }
    }

    private static List<String> names(List<Site> sites, boolean logits) {
        List<String> names = new ArrayList<>(sites.stream().map(Site::toString).toList());
        if (logits) {
            names.add("logits");
        }
        return names;
    }

    @Test
    void bf16CheckpointMatchesReferenceAtEverySiteAndInTheLogits() throws IOException {
        Path model = TinyGemma.write(tmp.resolve("bf16"), "bf16", 1);
        List<Site> sites = allSites(4);
        JsonNode report = captureAndCheck(model, sites, true, 3);
        assertMatches(report, names(sites, true));
        // The fixture is only a test if the subtle parts bite.
        JsonNode stats = report.get("stats");
        TinyGemma.assertSubtlePartsBite(stats);
    }

    @Test
    void shardedF32CheckpointMatchesReference() throws IOException {
        Path model = TinyGemma.write(tmp.resolve("f32"), "f32", 3);
        assertThat(model.resolve("model.safetensors.index.json")).exists();
        List<Site> sites = allSites(4);
        assertMatches(captureAndCheck(model, sites, true, 8), names(sites, true));
    }

    @Test
    void f16CheckpointAndAPartialSetOfSitesStopEarly() throws IOException {
        Path model = TinyGemma.write(tmp.resolve("f16"), "f16", 1);
        List<Site> sites = List.of(Site.parse("res.1"), Site.parse("att.1"), Site.parse("mlp.0"));
        assertMatches(captureAndCheck(model, sites, false, 2), names(sites, false));
    }

    @Test
    void resultReportsWidthsPerSite() throws IOException {
        Path model = TinyGemma.write(tmp.resolve("w"), "f32", 1);
        CaptureExport.Result result = CaptureExport.run(CaptureRequest.builder()
                .setModel(model)
                .setTokensFile(tokensFile())
                .setSites(List.of(Site.parse("att.0"), Site.parse("res.0")))
                .setOutDir(tmp.resolve("o"))
                .build());
        // att width is heads x head_dim = 64, not hidden (48)
        assertThat(result.widths())
                .containsOnly(Map.entry(Site.parse("att.0"), 64), Map.entry(Site.parse("res.0"), 48));
        assertThat(result.files())
                .extracting(p -> p.getFileName().toString())
                .containsExactly("att.0.npy", "res.0.npy", "attention_mask.npy", "tokens.json");
    }
}
