package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.schemas.DownstreamSums;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code scopeflow eval} end to end: a tiny bf16 Gemma 2 checkpoint (GQA, sliding window 4 under sequences of up to
 * 13 tokens, both softcaps biting) and two Gemma Scope params.npz SAEs (res.2 and att.1), all written by numpy, the
 * sequences of 13, 7, 1 and 10 tokens in batches of 3 (right padding, a batch of one); downstream.json is compared
 * with the independent float64 numpy reference ({@code gemma2_reference.py eval}): CE to 1e-5 relative, KL to 1e-3
 * relative, n_predictions exact.
 */
class EvalCommandTest {

    private static final List<String> FIELDS = List.of(DownstreamSums.METRIC_NAMES);

    @TempDir
    static Path dir;

    static Path model;
    static Path tokens;
    static List<String> saes = new ArrayList<>();
    static JsonNode reference;

    @BeforeAll
    static void writeFixtures() throws IOException {
        model = TinyGemma.write(dir.resolve("model"), "bf16", 1);
        tokens = dir.resolve("tokens.json");
        new ObjectMapper().writeValue(tokens.toFile(), TinyGemma.sampleSequences());
        saes.add("l2=res.2=" + TinyGemma.writeSae(model, tokens, "res.2", 24, 5, dir.resolve("res2.npz")));
        saes.add("a1=att.1=" + TinyGemma.writeSae(model, tokens, "att.1", 16, 6, dir.resolve("att1.npz")));
        reference = TinyGemma.evaluate(model, tokens, saes);
    }

    @ParameterizedTest
    @EnumSource(
            value = MatmulBackend.class,
            names = {"JAVA", "TORCH"})
    void downstreamJsonMatchesNumpy(MatmulBackend backend) throws IOException {
        Path out = dir.resolve("out-" + backend);
        List<String> args = new ArrayList<>(List.of(
                "eval",
                "--model",
                model.toString(),
                "--tokens",
                tokens.toString(),
                "--out",
                out.toString(),
                "--batch-size",
                "3",
                "--backend",
                backend.name()));
        saes.forEach(s -> args.addAll(List.of("--sae", s)));
        assertThat(ScopeFlow.commandLine().execute(args.toArray(String[]::new))).isZero();

        JsonNode written =
                new ObjectMapper().readTree(out.resolve("downstream.json").toFile());
        assertThat(fieldNames(written)).containsExactly("l2", "a1");
        JsonNode stats = reference.get("stats");
        TinyGemma.assertSubtlePartsBite(stats);
        for (String id : List.of("l2", "a1")) {
            JsonNode got = written.get(id);
            JsonNode want = reference.get(id);
            assertThat(want.get("min_threshold_margin").asDouble())
                    .as("fixture margin")
                    .isGreaterThan(1e-4);
            assertThat(fieldNames(got)).as(id).containsExactlyElementsOf(FIELDS);
            assertThat(got.get("n_predictions").asLong())
                    .isEqualTo(want.get("n_predictions").asLong());
            for (String ce : List.of("ce_clean", "ce_sae", "ce_zero")) {
                double w = want.get(ce).asDouble();
                assertThat(got.get(ce).asDouble()).as(id + " " + ce).isCloseTo(w, within(1e-5 * Math.abs(w)));
            }
            for (String kl : List.of("kl_sae", "kl_zero")) {
                double w = want.get(kl).asDouble();
                assertThat(got.get(kl).asDouble()).as(id + " " + kl).isCloseTo(w, within(1e-3 * Math.abs(w)));
            }
            // the derived metrics follow from the written means by their definitions
            double clean = got.get("ce_clean").asDouble();
            double sae = got.get("ce_sae").asDouble();
            double zero = got.get("ce_zero").asDouble();
            assertThat(got.get("delta_lm_loss").asDouble()).isCloseTo(sae - clean, within(1e-12));
            assertThat(got.get("ce_loss_recovered").asDouble()).isCloseTo((zero - sae) / (zero - clean), within(1e-9));
            double klSae = got.get("kl_sae").asDouble();
            double klZero = got.get("kl_zero").asDouble();
            assertThat(got.get("kl_div_score").asDouble()).isCloseTo((klZero - klSae) / klZero, within(1e-9));
        }
    }

    @Test
    void anSaeOfAnotherWidthFailsNamingBoth() {
        StringWriter err = new StringWriter();
        int exit = ScopeFlow.commandLine()
                .setErr(new PrintWriter(err))
                .execute(
                        "eval",
                        "--model",
                        model.toString(),
                        "--tokens",
                        tokens.toString(),
                        "--out",
                        dir.resolve("bad").toString(),
                        "--sae",
                        "x=res.1=" + dir.resolve("att1.npz"));
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("d_in 64").contains("site res.1").contains("width 48");
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
