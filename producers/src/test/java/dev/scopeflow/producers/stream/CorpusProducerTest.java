package dev.scopeflow.producers.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.producers.corpus.CorpusReader;
import dev.scopeflow.producers.model.CaptureResult;
import dev.scopeflow.producers.model.Gemma2Model;
import dev.scopeflow.producers.model.Splice;
import dev.scopeflow.producers.model.SpliceEvaluation;
import dev.scopeflow.producers.model.TokenBatch;
import dev.scopeflow.producers.testing.TestingJumpRelu;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.producers.tokenizer.ContextWindows;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.DocumentWindow;
import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.WindowEvaluation;
import dev.scopeflow.schemas.format.HalfFloats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The producer loop with in-memory sinks: every document token exactly once per site, bounded batches. */
class CorpusProducerTest {

    @TempDir
    static Path tmp;

    private static Path model;
    private static Path corpusFile;
    private static final List<Site> SITES = List.of(Site.parse("res.1"), Site.parse("att.0"));

    @BeforeAll
    static void writeFixtures() throws IOException {
        model = TinyGemma.write(tmp.resolve("m"), "bf16", 1);
        TinyGemma.writeWordTokenizer(model);
        corpusFile = Files.writeString(
                tmp.resolve("c.txt"),
                "the city of light is paris .\n\nparis\nthe city of light is paris . the city of light\n");
    }

    private record Run(
            CorpusProducer.Report report,
            List<ActivationBatch> batches,
            List<DocumentWindow> docs,
            List<WindowEvaluation> evaluations) {}

    private static Run run(CorpusProducer.Settings settings) {
        return run(settings, corpusFile, List.of());
    }

    private static Run run(CorpusProducer.Settings settings, Path corpusPath) {
        return run(settings, corpusPath, List.of());
    }

    private static Run run(
            CorpusProducer.Settings settings, Path corpusPath, List<CorpusProducer.Evaluation> evaluations) {
        List<ActivationBatch> batches = new ArrayList<>();
        List<DocumentWindow> docs = new ArrayList<>();
        List<WindowEvaluation> evaluated = new ArrayList<>();
        Gemma2Model.LoadOptions load = evaluations.isEmpty()
                ? Gemma2Model.LoadOptions.upToLayer(ComputeDevice.CPU, 1)
                : Gemma2Model.LoadOptions.allLayers(ComputeDevice.CPU);
        try (Gemma2Model gemma = Gemma2Model.load(model, load);
                GemmaTokenizer tokenizer = GemmaTokenizer.load(model, 2);
                CorpusReader corpus = CorpusReader.textLines(corpusPath)) {
            CorpusProducer.Report report = CorpusProducer.run(
                    gemma,
                    tokenizer,
                    corpus,
                    settings,
                    evaluations,
                    new CorpusProducer.Sinks(batches::add, docs::add, evaluated::add),
                    ProducerProgress.NONE);
            return new Run(report, batches, docs, evaluated);
        }
    }

    @Test
    void anEvaluatingRunPublishesTheSameActivationsAndEachWindowsSumsAsAnEvaluationOfThatWindowAlone()
            throws IOException {
        Path tokens = tmp.resolve("sample-tokens.json");
        new ObjectMapper().writeValue(tokens.toFile(), TinyGemma.sampleSequences());
        List<CorpusProducer.Evaluation> evaluations = List.of(
                evaluation("a", "res.1", TinyGemma.writeSae(model, tokens, "res.1", 16, 31, tmp.resolve("a.npz"))),
                evaluation("b", "att.2", TinyGemma.writeSae(model, tokens, "att.2", 16, 32, tmp.resolve("b.npz"))));
        // 6-token windows, 2 per forward: the long document is cut into windows with a prepended BOS
        CorpusProducer.Settings settings = CorpusProducer.Settings.of("r-eval", "tiny", SITES)
                .withDtype(ActivationDtype.F32)
                .withContextLength(6)
                .withBatchSize(2);
        Run plain = run(settings, corpusFile, List.of());
        Run evaluated = run(settings, corpusFile, evaluations);

        // the clean pass of the evaluation is the capture: the same values bit for bit
        assertThat(evaluated.batches()).hasSameSizeAs(plain.batches());
        for (int i = 0; i < plain.batches().size(); i++) {
            assertThat(evaluated.batches().get(i).values())
                    .containsExactly(plain.batches().get(i).values());
        }
        assertThat(plain.evaluations()).isEmpty();
        assertThat(evaluated.report().evaluatedWindows())
                .isEqualTo(evaluated.report().windows());
        assertThat(evaluated.evaluations())
                .extracting(e -> e.docId() + "/" + e.window())
                .containsExactlyElementsOf(evaluated.docs().stream()
                        .map(d -> d.docId() + "/" + d.window())
                        .toList());

        ContextWindows splitter = new ContextWindows(6, 2);
        try (Gemma2Model gemma = Gemma2Model.load(model, Gemma2Model.LoadOptions.allLayers(ComputeDevice.CPU));
                GemmaTokenizer tokenizer = GemmaTokenizer.load(model, 2)) {
            List<String> texts = Files.readAllLines(corpusFile).stream()
                    .filter(line -> !line.isBlank())
                    .toList();
            int next = 0;
            for (int d = 0; d < texts.size(); d++) {
                List<ContextWindows.Window> windows = splitter.split(tokenizer.encode(texts.get(d)));
                for (ContextWindows.Window w : windows) {
                    SpliceEvaluation alone = gemma.evaluate(
                            TokenBatch.rightPadded(List.of(w.tokens()), 0),
                            evaluations.stream()
                                    .map(CorpusProducer.Evaluation::splice)
                                    .toList());
                    WindowEvaluation got = evaluated.evaluations().get(next++);
                    for (int i = 0; i < evaluations.size(); i++) {
                        WindowEvaluation.Entry entry = got.saes().get(i);
                        assertThat(entry.saeId()).isEqualTo(evaluations.get(i).saeId());
                        assertThat(entry.site())
                                .isEqualTo(evaluations.get(i).splice().site());
                        DownstreamSums want = alone.sums(i, 0);
                        DownstreamSums have = entry.sums();
                        assertThat(have.nPredictions())
                                .isEqualTo(want.nPredictions())
                                .isEqualTo(w.tokens().length - 1);
                        assertThat(have.sumCeClean()).isCloseTo(want.sumCeClean(), within(1e-4));
                        assertThat(have.sumCeSae()).isCloseTo(want.sumCeSae(), within(1e-4));
                        assertThat(have.sumCeZero()).isCloseTo(want.sumCeZero(), within(1e-4));
                        assertThat(have.sumKlSae()).isCloseTo(want.sumKlSae(), within(1e-5));
                        assertThat(have.sumKlZero()).isCloseTo(want.sumKlZero(), within(1e-5));
                    }
                }
            }
            assertThat(next).isEqualTo(evaluated.evaluations().size()).isGreaterThan(texts.size());
        }
    }

    private static CorpusProducer.Evaluation evaluation(String id, String site, Path npz) {
        return new CorpusProducer.Evaluation(id, new Splice(Site.parse(site), new TestingJumpRelu(npz)));
    }

    @Test
    void anEmptyCorpusIsAnErrorNamingTheFileUnlessAllowed() throws IOException {
        Path blank = Files.writeString(tmp.resolve("blank.txt"), "\n\n\n");
        Run run = run(CorpusProducer.Settings.of("r-empty", "tiny", SITES), blank);
        assertThat(run.report().documents()).isZero();
        assertThat(run.batches()).isEmpty();
        assertThat(run.docs()).isEmpty();
        assertThatThrownBy(() -> run.report().requireDocuments(blank))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(blank.toString())
                .hasMessageContaining("no documents")
                .hasMessageContaining("3 empty")
                .hasMessageContaining("--allow-empty");

        Run full = run(CorpusProducer.Settings.of("r-full", "tiny", SITES));
        assertThat(full.report().requireDocuments(corpusFile)).isSameAs(full.report());
    }

    @Test
    void runIdsFollowTheOneRule() {
        assertThatThrownBy(() -> CorpusProducer.Settings.of("my run/1", "tiny", SITES))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("run id 'my run/1'");
    }

    @Test
    void everyDocumentTokenIsEmittedOncePerSiteWithItsPosition() {
        Run run = run(CorpusProducer.Settings.of("r1", "tiny", SITES)
                .withContextLength(5)
                .withBatchSize(3));
        // docs: 8 tokens (BOS + 7), 2 tokens, 12 tokens; empty line skipped
        assertThat(run.report().documents()).isEqualTo(3);
        assertThat(run.report().tokens()).isEqualTo(8 + 2 + 12);
        assertThat(run.report().corpus().empty()).isEqualTo(1);
        for (Site site : SITES) {
            Map<Long, List<Integer>> positions = new HashMap<>();
            run.batches().stream().filter(b -> b.site().equals(site)).forEach(b -> {
                assertThat(b.dtype()).isEqualTo(ActivationDtype.BF16);
                assertThat(b.runId()).isEqualTo("r1");
                for (int r = 0; r < b.rows(); r++) {
                    assertThat(b.docId(r)).isEqualTo(b.docId(0)); // one key per batch
                    positions
                            .computeIfAbsent(b.docId(r), k -> new ArrayList<>())
                            .add(b.position(r));
                    if (b.position(r) == 0) {
                        assertThat(b.tokenId(r)).isEqualTo(2);
                    } else {
                        assertThat(b.tokenId(r)).isNotEqualTo(2); // re-inserted BOS of later windows is not emitted
                    }
                }
                for (float v : b.values()) {
                    assertThat(HalfFloats.roundToBf16(v)).isEqualTo(v);
                }
            });
            assertThat(positions.keySet()).containsExactlyInAnyOrder(0L, 2L, 3L); // line ordinals
            assertThat(positions.get(0L)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
            assertThat(positions.get(2L)).containsExactly(0, 1);
            assertThat(positions.get(3L)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        }
        // document records: one per window, text on the first only
        assertThat(run.docs()).extracting(DocumentWindow::docId).containsExactly(0L, 0L, 2L, 3L, 3L, 3L);
        assertThat(run.docs().get(0).text()).isEqualTo("the city of light is paris .");
        assertThat(run.docs().get(1).text()).isNull();
        assertThat(run.docs().get(1).firstPosition()).isEqualTo(5);
        assertThat(run.docs().get(1).tokenIds())
                .containsExactly(14, 15, 16); // "is paris ." without the re-inserted BOS
    }

    @Test
    void valuesEqualAForwardOfTheWindowAloneAndBatchesAreSizeBounded() {
        // 48 floats x 4 B = 192 B per res row: a 400-byte limit gives 2 rows per batch
        Run run = run(CorpusProducer.Settings.of("r2", "tiny", SITES)
                .withDtype(ActivationDtype.F32)
                .withContextLength(64)
                .withBatchSize(2)
                .withMaxRecordBytes(400));
        run.batches().forEach(b -> assertThat((long) b.rows() * b.width() * 4).isLessThanOrEqualTo(400));
        ActivationBatch first = run.batches().stream()
                .filter(b -> b.site().equals(Site.parse("res.1")) && b.docId(0) == 3L)
                .findFirst()
                .orElseThrow();
        try (Gemma2Model gemma = Gemma2Model.load(model, Gemma2Model.LoadOptions.upToLayer(ComputeDevice.CPU, 1));
                GemmaTokenizer tokenizer = GemmaTokenizer.load(model, 2)) {
            int[] tokens = tokenizer.encode("the city of light is paris . the city of light");
            CaptureResult alone =
                    gemma.capture(TokenBatch.rightPadded(List.of(tokens), 0), List.of(Site.parse("res.1")), false);
            float[] expected = java.util.Arrays.copyOfRange(alone.values(Site.parse("res.1")), 0, first.rows() * 48);
            float max = 0;
            for (float v : expected) {
                max = Math.max(max, Math.abs(v));
            }
            for (int i = 0; i < expected.length; i++) {
                assertThat(first.values()[i]).isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-5f * max));
            }
        }
    }
}
