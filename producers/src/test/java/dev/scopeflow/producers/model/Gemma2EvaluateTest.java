package dev.scopeflow.producers.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.producers.testing.TestingJumpRelu;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.Site;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Gemma2Model#evaluate} against the independent float64 numpy reference ({@code gemma2_reference.py eval}) on
 * a tiny checkpoint where GQA, a sliding window shorter than the sequences and both softcaps bite, with a
 * JumpReLU SAE at a res, an att and an mlp site in one call and right padding (sequences of 13, 7, 1 and 10
 * tokens, BOS first), and a second SAE at res.1 (sharing the site's zero pass). CE to 1e-5 relative, KL to 1e-3
 * relative, prediction counts exact.
 *
 * <p>Checked to fail with the mechanism off: splicing the BOS rows too (every real position spliced) fails res.1's
 * ce_sae; a head that takes the first chunk's rows for every chunk ({@code "0:" + (r1 - r0)}) fails ce_clean; every
 * splice sharing the first zero pass, whatever its site, fails att.2's ce_zero.
 */
class Gemma2EvaluateTest {

    /** Two SAEs at res.1: they share its zero pass. */
    private static final String[] SITES = {"res.1", "att.2", "mlp.0", "res.1"};

    @TempDir
    static Path tmp;

    static Path model;
    static Path tokens;
    static List<Splice> splices;
    static JsonNode reference;

    @BeforeAll
    static void writeFixtures() throws IOException {
        model = TinyGemma.write(tmp.resolve("model"), "bf16", 1);
        tokens = tmp.resolve("tokens.json");
        new ObjectMapper().writeValue(tokens.toFile(), TinyGemma.sampleSequences());
        splices = new ArrayList<>();
        List<String> specs = new ArrayList<>();
        for (int i = 0; i < SITES.length; i++) {
            Path sae = TinyGemma.writeSae(model, tokens, SITES[i], 16, 20 + i, tmp.resolve(i + ".npz"));
            splices.add(new Splice(Site.parse(SITES[i]), new TestingJumpRelu(sae)));
            specs.add(i + "=" + SITES[i] + "=" + sae);
        }
        reference = TinyGemma.evaluate(model, tokens, specs);
    }

    @Test
    void matchesTheNumpyReferenceWithTheHeadInChunks() {
        JsonNode stats = reference.get("stats");
        TinyGemma.assertSubtlePartsBite(stats);
        SpliceEvaluation evaluation;
        try (Gemma2Model m = load()) {
            // 5 positions per head chunk: the 27 counted predictions take 6 chunks, the last one partial
            evaluation = m.evaluate(
                            batch(TinyGemma.sampleSequences()),
                            splices,
                            List.of(),
                            5 * m.config().vocabSize())
                    .evaluation();
        }
        for (int i = 0; i < SITES.length; i++) {
            JsonNode want = reference.get(String.valueOf(i));
            // float32 pre-activations must not flip a feature the float64 reference does not flip
            assertThat(want.get("min_threshold_margin").asDouble())
                    .as("fixture margin")
                    .isGreaterThan(1e-4);
            assertMatches(SITES[i], evaluation.total(i), want);
        }
    }

    @Test
    void perSequenceSumsDoNotDependOnPaddingOrBatchmates() {
        List<int[]> sequences = TinyGemma.sampleSequences();
        try (Gemma2Model m = load()) {
            SpliceEvaluation together = m.evaluate(batch(sequences), splices);
            for (int s = 0; s < sequences.size(); s++) {
                SpliceEvaluation alone = m.evaluate(batch(List.of(sequences.get(s))), splices);
                for (int i = 0; i < SITES.length; i++) {
                    DownstreamSums a = alone.sums(i, 0);
                    DownstreamSums t = together.sums(i, s);
                    assertThat(t.nPredictions()).isEqualTo(sequences.get(s).length - 1);
                    assertThat(t.nPredictions()).isEqualTo(a.nPredictions());
                    assertThat(t.sumCeClean()).isCloseTo(a.sumCeClean(), within(1e-4));
                    assertThat(t.sumCeSae()).isCloseTo(a.sumCeSae(), within(1e-4));
                    assertThat(t.sumCeZero()).isCloseTo(a.sumCeZero(), within(1e-4));
                    assertThat(t.sumKlSae()).isCloseTo(a.sumKlSae(), within(1e-5));
                    assertThat(t.sumKlZero()).isCloseTo(a.sumKlZero(), within(1e-5));
                }
            }
        }
    }

    @Test
    void evaluateAndCaptureCapturesWhatCaptureDoesAndEvaluatesTheSame() {
        List<int[]> sequences = TinyGemma.sampleSequences();
        List<Site> sites = List.of(Site.parse("res.1"), Site.parse("att.0"), Site.parse("mlp.1"));
        try (Gemma2Model m = load()) {
            Gemma2Model.CapturedEvaluation both = m.evaluateAndCapture(batch(sequences), splices, sites);
            CaptureResult alone = m.capture(batch(sequences), sites, false);
            SpliceEvaluation evaluation = m.evaluate(batch(sequences), splices);
            assertThat(both.capture().sites()).containsExactlyInAnyOrderElementsOf(sites);
            for (Site site : sites) {
                // the same forward on the same batch: bit for bit
                assertThat(both.capture().values(site)).as(site.toString()).containsExactly(alone.values(site));
            }
            for (int i = 0; i < SITES.length; i++) {
                assertThat(both.evaluation().total(i)).isEqualTo(evaluation.total(i));
            }
        }
    }

    static void assertMatches(String what, DownstreamSums got, JsonNode want) {
        assertThat(got.nPredictions())
                .as(what + " n_predictions")
                .isEqualTo(want.get("n_predictions").asLong());
        assertRelative(what + " ce_clean", got.ceClean(), want.get("ce_clean").asDouble(), 1e-5);
        assertRelative(what + " ce_sae", got.ceSae(), want.get("ce_sae").asDouble(), 1e-5);
        assertRelative(what + " ce_zero", got.ceZero(), want.get("ce_zero").asDouble(), 1e-5);
        assertRelative(what + " kl_sae", got.klSae(), want.get("kl_sae").asDouble(), 1e-3);
        assertRelative(what + " kl_zero", got.klZero(), want.get("kl_zero").asDouble(), 1e-3);
        // the splice must matter, or the fixture tests nothing
        assertThat(got.klSae()).as(what + " kl_sae").isGreaterThan(1e-3);
    }

    private static void assertRelative(String what, double got, double want, double relative) {
        assertThat(got).as(what).isCloseTo(want, within(relative * Math.abs(want)));
    }

    private static Gemma2Model load() {
        return Gemma2Model.load(model, Gemma2Model.LoadOptions.allLayers(ComputeDevice.CPU));
    }

    private static TokenBatch batch(List<int[]> sequences) {
        return TokenBatch.rightPadded(sequences, 0);
    }
}
