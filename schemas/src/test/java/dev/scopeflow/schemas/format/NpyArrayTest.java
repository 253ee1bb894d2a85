package dev.scopeflow.schemas.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NpyArrayTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeFixtures() throws Exception {
        PythonFixtures.run(NpyArrayTest.class.getResource("format_fixtures.py"), dir, "npy-cases");
    }

    static Stream<String> manifest() throws IOException {
        // generated in @BeforeAll; JUnit calls sources after it for static fixtures
        return Files.readAllLines(dir.resolve("manifest.txt")).stream().filter(l -> !l.isBlank());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("manifest")
    void readsEveryDtypeOrderRankAndVersionLikeNumpy(String line) throws Exception {
        String[] parts = line.split(" ");
        String name = parts[0];
        int[] shape = parts[1].equals("-")
                ? new int[0]
                : Arrays.stream(parts[1].split(",")).mapToInt(Integer::parseInt).toArray();
        NpyArray array = NpyArray.read(dir.resolve(name + ".npy"));

        assertThat(array.name()).isEqualTo(name);
        assertThat(array.shape()).containsExactly(shape);
        assertThat(array.dtype()).isEqualTo(parts[2]);
        assertThat(array.wasFortranOrder()).isEqualTo(parts[3].equals("1"));
        // bit-exact against numpy's own float32 conversion in C order (tells -0.0 from 0.0)
        assertThat(array.data()).containsExactly(PythonFixtures.f32(dir.resolve(name + ".f32")));
    }

    @Test
    void manifestCoversFortranAndAllVersions() throws Exception {
        List<String> lines = manifest().toList();
        assertThat(lines).anyMatch(l -> l.startsWith("rank4_fortran ") && l.endsWith(" 1"));
        assertThat(lines).anyMatch(l -> l.startsWith("v3 "));
        assertThat(lines).hasSizeGreaterThan(25);
    }

    @Test
    void storedAndCompressedNpzHoldTheSameArrays() throws Exception {
        try (NpzReader stored = NpzReader.open(dir.resolve("stored.npz"));
                NpzReader compressed = NpzReader.open(dir.resolve("compressed.npz"))) {
            assertThat(stored.arrayNames()).containsExactly("a", "b", "c");
            assertThat(compressed.arrayNames()).containsExactly("a", "b", "c");
            for (String name : stored.arrayNames()) {
                NpyArray s = stored.read(name);
                NpyArray c = compressed.read(name);
                assertThat(c.shape()).containsExactly(s.shape());
                assertThat(c.data()).containsExactly(s.data());
            }
            assertThat(stored.read("a").data()).containsExactly(PythonFixtures.f32(dir.resolve("f4_c.f32")));
            assertThat(stored.read("b").data()).containsExactly(PythonFixtures.f32(dir.resolve("rank4_c.f32")));
            assertThat(stored.read("b").wasFortranOrder()).isTrue();
            assertThat(stored.read("c").shape()).containsExactly(12, 10);
        }
    }

    @Test
    void missingNpzArrayNamesFileAndWhatExists() throws Exception {
        try (NpzReader npz = NpzReader.open(dir.resolve("stored.npz"))) {
            assertThatThrownBy(() -> npz.read("W_enc"))
                    .isInstanceOf(FileFormatException.class)
                    .hasMessageContaining("stored.npz")
                    .hasMessageContaining("'W_enc'")
                    .hasMessageContaining("has: a, b, c");
        }
    }

    @Test
    void rejectsUnsupportedDtypes() {
        assertThatThrownBy(() -> NpyArray.read(dir.resolve("bad_complex.npy")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("bad_complex.npy")
                .hasMessageContaining("unsupported dtype '<c8'");
        assertThatThrownBy(() -> NpyArray.read(dir.resolve("bad_structured.npy")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("unsupported dtype");
    }

    @Test
    void rejectsBadMagic() {
        assertThatThrownBy(() -> NpyArray.read(dir.resolve("bad_magic.npy")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("bad_magic.npy")
                .hasMessageContaining("bad magic");
    }

    @Test
    void rejectsTruncatedAndOverlongData() {
        assertThatThrownBy(() -> NpyArray.read(dir.resolve("truncated.npy")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("'truncated'")
                .hasMessageContaining("truncated data: expected 140 bytes");
        assertThatThrownBy(() -> NpyArray.read(dir.resolve("too_long.npy")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("shape mismatch");
    }

    @Test
    void fortranToCMatchesIndexArithmetic() {
        int[] shape = {3, 4, 2};
        float[] f = new float[24];
        for (int i = 0; i < f.length; i++) f[i] = i;
        float[] c = NpyArray.fortranToC(f, shape);
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 4; b++) {
                for (int d = 0; d < 2; d++) {
                    assertThat(c[(a * 4 + b) * 2 + d]).isEqualTo(f[a + 3 * b + 12 * d]);
                }
            }
        }
    }
}
