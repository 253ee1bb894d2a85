package dev.scopeflow.sae.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.sae.NumpyFixtures;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.schemas.format.FileFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SaeLoader#describe} (headers and cfg.json only) against what {@link SaeLoader#load} loads. */
class SaeLoaderTest {

    @TempDir
    static Path dir;

    static Path gemmaScope;
    static Path badNpz;
    static Path badSaeLens;

    @BeforeAll
    static void writeFixtures() throws Exception {
        gemmaScope = NumpyFixtures.generate(dir.resolve("gemma-scope"), "sae", 5, 37, 129, 3, "exact");
        badNpz = NumpyFixtures.generate(dir.resolve("bad-npz"), "bad");
        badSaeLens = NumpyFixtures.generate(dir.resolve("bad-saelens"), "saelens-bad");
    }

    @ParameterizedTest
    @ValueSource(strings = {"params.npz", "params_fortran.npz", "params_compressed.npz", "."})
    void gemmaScopeDescriptionMatchesTheLoadedSae(String file) throws Exception {
        Path path = gemmaScope.resolve(file).normalize();
        try (SparseAutoencoder loaded = SaeLoader.load(path, MatmulBackend.JAVA)) {
            assertThat(loaded).isInstanceOf(JumpReluSae.class);
            assertThat(SaeLoader.describe(path)).isEqualTo(new SaeDescription("jumprelu", loaded.dIn(), loaded.dSae()));
        }
        assertThat(SaeLoader.describe(path)).isEqualTo(new SaeDescription("jumprelu", 37, 129));
    }

    @ParameterizedTest(name = "{1} {5}")
    @CsvSource({
        "1, standard, 0, 1, none, F32",
        "3, jumprelu, 0, 1, none, BF16",
        "6, topk, 8, 1, constant_norm_rescale, F16",
    })
    void saeLensDescriptionMatchesTheLoadedSae(int seed, String arch, int k, int applyBDec, String norm, String dtype)
            throws Exception {
        Path sae = NumpyFixtures.generate(
                dir.resolve("saelens-" + arch), "saelens", seed, arch, k, applyBDec, norm, dtype, 11, 40, 2);
        try (SparseAutoencoder loaded = SaeLoader.load(sae, MatmulBackend.JAVA)) {
            SaeLensSae lens = (SaeLensSae) loaded;
            assertThat(SaeLoader.describe(sae))
                    .isEqualTo(new SaeDescription(
                            lens.architecture().name().toLowerCase(Locale.ROOT), lens.dIn(), lens.dSae()));
        }
        assertThat(SaeLoader.describe(sae)).isEqualTo(new SaeDescription(arch, 11, 40));
    }

    @Test
    void describeReadsNoWeights() throws Exception {
        // data that cannot load (NaN, cut short) still has a readable header: describe never looks at the data
        assertThatThrownBy(() -> SaeLoader.load(badNpz.resolve("nan_w_dec.npz"), MatmulBackend.JAVA))
                .hasMessageContaining("NaN");
        assertThat(SaeLoader.describe(badNpz.resolve("nan_w_dec.npz")).dSae()).isEqualTo(10);
        assertThatThrownBy(() -> SaeLoader.load(badNpz.resolve("truncated_entry.npz"), MatmulBackend.JAVA))
                .hasMessageContaining("truncated data");
        assertThat(SaeLoader.describe(badNpz.resolve("truncated_entry.npz")).dSae())
                .isEqualTo(10);
        assertThatThrownBy(() -> SaeLoader.load(badSaeLens.resolve("nan_w_dec"), MatmulBackend.JAVA))
                .hasMessageContaining("NaN");
        assertThat(SaeLoader.describe(badSaeLens.resolve("nan_w_dec")).architecture())
                .isEqualTo("jumprelu");
    }

    @Test
    void describeRejectsWhatLoadRejectsFromHeaders() throws Exception {
        assertThatThrownBy(() -> SaeLoader.describe(badNpz.resolve("wrong_shape_w_dec.npz")))
                .isInstanceOf(SaeFormatException.class)
                .hasMessageContaining("'W_dec'")
                .hasMessageContaining("[10, 5]")
                .hasMessageContaining("[10, 6]");
        assertThatThrownBy(() -> SaeLoader.describe(badNpz.resolve("missing_threshold.npz")))
                .hasMessageContaining("'threshold'")
                .hasMessageContaining("missing");
        assertThatThrownBy(() -> SaeLoader.describe(badSaeLens.resolve("width_mismatch")))
                .isInstanceOf(SaeFormatException.class)
                .hasMessageContaining("width mismatch");
        assertThatThrownBy(() -> SaeLoader.describe(badSaeLens.resolve("gated")))
                .hasMessageContaining("unsupported architecture 'gated'");
        assertThatThrownBy(() -> SaeLoader.describe(malformedCfg()))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("cfg.json: malformed cfg.json");
        assertThatThrownBy(() -> SaeLoader.describe(dir.resolve("nowhere")))
                .isInstanceOf(SaeFormatException.class)
                .hasMessageContaining("no such SAE file or directory");
    }

    private static Path malformedCfg() throws Exception {
        Path sae = Files.createDirectories(dir.resolve("malformed"));
        Files.writeString(sae.resolve("cfg.json"), "{\"d_in\": 4,");
        return sae;
    }
}
