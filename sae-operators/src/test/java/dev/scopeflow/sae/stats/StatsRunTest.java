package dev.scopeflow.sae.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.scopeflow.sae.NumpyFixtures;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.format.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link StatsRun} end to end against a float64 numpy brute force of every output column (fixtures.py
 * stats-run): counts and ids exactly, floats within 1e-5 relative; histograms and interval samples (whose
 * activations are exact in float32 on these dyadic fixtures) exactly.
 */
class StatsRunTest {

    private static final int TOP_K = 4;
    private static final double DENSE = 0.2;
    private static final double REL = 1e-5;

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeFixtures() throws Exception {
        NumpyFixtures.generate(dir, "stats-run", 3, 7, 13, 37, 101, TOP_K, DENSE);
    }

    @ParameterizedTest
    @CsvSource({
        "params.npz, all, JAVA",
        "params.npz, filtered, JAVA",
        "saelens, filtered, JAVA",
        "params.npz, filtered, TORCH",
    })
    void everyOutputColumnMatchesNumpy(String sae, String variant, MatmulBackend backend) throws Exception {
        Path out = dir.resolve("out-" + sae + "-" + variant + "-" + backend);
        StatsRun.Request.Builder request = StatsRun.request()
                .setSae(dir.resolve(sae))
                .setActivations(dir.resolve("activations.npy"))
                .setOut(out)
                .optTopK(TOP_K)
                .optDenseThreshold(DENSE)
                .optBackend(backend);
        if (variant.equals("filtered")) {
            request.optMask(dir.resolve("attention_mask.npy"))
                    .optTokens(dir.resolve("tokens.json"))
                    .optExcludeBos(true);
        }
        StatsRun.Result result = StatsRun.run(request.build());

        Path expected = dir.resolve("expected_" + variant);
        assertSameTable(out.resolve("features.csv"), expected.resolve("features.csv"), 2);
        assertSameTable(out.resolve("top_examples.csv"), expected.resolve("top_examples.csv"), 4);
        assertSameTableExactly(out.resolve("histograms.csv"), expected.resolve("histograms.csv"));
        assertSameTableExactly(out.resolve("interval_samples.csv"), expected.resolve("interval_samples.csv"));
        JsonNode actualSummary = Json.read(out.resolve("summary.json"));
        JsonNode expectedSummary = Json.read(expected.resolve("summary.json"));
        List<String> keys = new ArrayList<>();
        actualSummary.fieldNames().forEachRemaining(keys::add);
        assertThat(keys)
                .containsExactlyInAnyOrder(
                        "n_tokens",
                        "l0",
                        "mse",
                        "mse_per_token",
                        "fvu",
                        "explained_variance",
                        "cosine",
                        "l2_ratio",
                        "relative_reconstruction_bias",
                        "dead",
                        "dense",
                        "frac_alive");
        for (Map.Entry<String, JsonNode> field : expectedSummary.properties()) {
            JsonNode e = field.getValue();
            JsonNode a = actualSummary.get(field.getKey());
            if (e.isIntegralNumber()) {
                assertThat(a.isIntegralNumber() ? a.asLong() : null)
                        .as("summary %s", field.getKey())
                        .isEqualTo(e.asLong());
            } else {
                assertClose(a.asDouble(), e.asDouble(), "summary " + field.getKey());
            }
        }
        assertThat(result.tokens()).isEqualTo(expectedSummary.get("n_tokens").asLong());
        assertThat(result.summary().dead()).isPositive();
        assertThat(result.files()).allMatch(Files::isRegularFile);
    }

    @Test
    void filteringReallyDropsPaddingAndBos() throws Exception {
        JsonNode all = Json.read(dir.resolve("expected_all/summary.json"));
        JsonNode filtered = Json.read(dir.resolve("expected_filtered/summary.json"));
        assertThat(all.get("n_tokens").asLong()).isEqualTo(7 * 13);
        assertThat(filtered.get("n_tokens").asLong()).isLessThan(7 * 13 - 7);
    }

    @Test
    void badInputsFailNamingTheFile() {
        assertThatThrownBy(() -> StatsRun.request()
                        .setSae(dir.resolve("params.npz"))
                        .setActivations(dir.resolve("activations.npy"))
                        .setOut(dir.resolve("x"))
                        .optExcludeBos(true)
                        .build())
                .hasMessageContaining("--exclude-bos needs --tokens");
        assertThatThrownBy(() -> StatsRun.request()
                        .setSae(dir.resolve("params.npz"))
                        .setActivations(dir.resolve("activations.npy"))
                        .setOut(dir.resolve("x"))
                        .optBackend(MatmulBackend.JAVA)
                        .optDevice(ComputeDevice.CUDA)
                        .build())
                .hasMessageStartingWith("--device cuda needs the TORCH encode kernel");
        assertThatThrownBy(() -> StatsRun.run(StatsRun.request()
                        .setSae(dir.resolve("params.npz"))
                        .setActivations(dir.resolve("attention_mask.npy"))
                        .setOut(dir.resolve("x"))
                        .build()))
                .hasMessageContaining("attention_mask.npy")
                .hasMessageContaining("activations have shape [7, 13], expected [n_seq, seq_len, d]");
        assertThatThrownBy(() -> StatsRun.run(StatsRun.request()
                        .setSae(dir.resolve("activations.npy").getParent().resolve("nothing-here"))
                        .setActivations(dir.resolve("activations.npy"))
                        .setOut(dir.resolve("x"))
                        .build()))
                .hasMessageContaining("nothing-here");
        assertThatThrownBy(() -> StatsRun.run(StatsRun.request()
                        .setSae(dir.resolve("params.npz"))
                        .setActivations(dir.resolve("activations.npy"))
                        .optMask(dir.resolve("params.npz"))
                        .setOut(dir.resolve("x"))
                        .build()))
                .hasMessageContaining("params.npz");
    }

    @Test
    void nonFiniteActivationsFailNamingFileSequencePositionAndDimension() throws Exception {
        Path nan = withValue("nan", 3, 5, 11);
        Path inf = withValue("inf", 2, 8, 30);
        assertThatThrownBy(() -> StatsRun.run(StatsRun.request()
                        .setSae(dir.resolve("params.npz"))
                        .setActivations(nan)
                        .setOut(dir.resolve("nan-out"))
                        .build()))
                .hasMessage(nan + ": activation NaN at sequence 3, position 5, dimension 11 is not finite;"
                        + " statistics need finite activations");
        assertThatThrownBy(() -> StatsRun.run(StatsRun.request()
                        .setSae(dir.resolve("params.npz"))
                        .setActivations(inf)
                        .setOut(dir.resolve("inf-out"))
                        .build()))
                .hasMessage(inf + ": activation Infinity at sequence 2, position 8, dimension 30 is not finite;"
                        + " statistics need finite activations");
        assertThat(dir.resolve("nan-out").resolve("summary.json")).doesNotExist();
    }

    /** The fixture activations with one value replaced by numpy ({@code nan} or {@code inf}). */
    private static Path withValue(String value, int seq, int pos, int dim) throws Exception {
        Path out = dir.resolve("activations-" + value + ".npy");
        Process python = new ProcessBuilder(
                        "python3",
                        "-c",
                        "import sys, numpy as np; a = np.load(sys.argv[1]); a[" + seq + ", " + pos + ", " + dim
                                + "] = np." + value + "; np.save(sys.argv[2], a)",
                        dir.resolve("activations.npy").toString(),
                        out.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(python.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(python.waitFor()).as("numpy: %s", output).isZero();
        return out;
    }

    /** Same header, same rows; the first {@code exactColumns} columns (ids, counts) equal, the rest close. */
    private static void assertSameTable(Path actualFile, Path expectedFile, int exactColumns) throws Exception {
        assertSameCells(actualFile, expectedFile, (what, column, a, e) -> {
            if (column < exactColumns) {
                assertThat(Long.parseLong(a)).as(what).isEqualTo(Long.parseLong(e));
            } else {
                assertClose(Double.parseDouble(a), Double.parseDouble(e), what);
            }
        });
    }

    /** Same header, same rows, every cell equal: integers as text, the rest as the same float. */
    private static void assertSameTableExactly(Path actualFile, Path expectedFile) throws Exception {
        assertSameCells(actualFile, expectedFile, (what, column, a, e) -> {
            if (e.matches("-?\\d+")) {
                assertThat(a).as(what).isEqualTo(e);
            } else {
                assertThat(Float.parseFloat(a)).as(what).isEqualTo(Float.parseFloat(e));
            }
        });
    }

    private interface CellCheck {
        void check(String what, int column, String actual, String expected);
    }

    private static void assertSameCells(Path actualFile, Path expectedFile, CellCheck cell) throws Exception {
        List<String> actual = Files.readAllLines(actualFile);
        List<String> expected = Files.readAllLines(expectedFile);
        assertThat(actual.get(0)).isEqualTo(expected.get(0));
        assertThat(actual)
                .as(actualFile.getFileName().toString())
                .hasSameSizeAs(expected)
                .hasSizeGreaterThan(10);
        for (int i = 1; i < expected.size(); i++) {
            String[] a = actual.get(i).split(",");
            String[] e = expected.get(i).split(",");
            assertThat(a).as("%s line %d", actualFile.getFileName(), i + 1).hasSameSizeAs(e);
            for (int c = 0; c < e.length; c++) {
                cell.check(actualFile.getFileName() + " line " + (i + 1) + " column " + c, c, a[c], e[c]);
            }
        }
    }

    private static void assertClose(double actual, double expected, String what) {
        assertThat(Math.abs(actual - expected))
                .as("%s: %s vs %s", what, actual, expected)
                .isLessThanOrEqualTo(REL * Math.abs(expected) + 1e-12);
    }
}
