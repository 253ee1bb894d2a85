package dev.scopeflow.schemas.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the writers produce is read back by numpy itself, and by {@link NpyArray}/{@link NpzReader}. */
class NpyWriterTest {

    @TempDir
    Path dir;

    @Test
    void numpyReadsWhatTheWritersWrite() throws Exception {
        float[] cube = values(2 * 3 * 5, 1);
        try (NpyWriter w = NpyWriter.float32(dir.resolve("cube.npy"), 2, 3, 5)) {
            w.write(cube, 0, 7);
            w.write(cube, 7, cube.length - 7); // written in pieces, as capture does
        }
        float[] vector = values(11, 2);
        NpyWriter.writeFloat32(dir.resolve("vector.npy"), vector, 11);
        NpyWriter.writeFloat32(dir.resolve("scalar.npy"), new float[] {-0f});
        try (NpyWriter w = NpyWriter.int64(dir.resolve("ids.npy"), 2, 2)) {
            for (long id : new long[] {2, 651, 1L << 40, -3}) {
                w.write(id);
            }
        }
        float[] wEnc = values(4 * 6, 3);
        float[] bias = values(6, 4);
        NpzWriter.write(
                dir.resolve("params.npz"),
                List.of(NpyArray.of("W_enc", new int[] {4, 6}, wEnc), NpyArray.of("b_enc", new int[] {6}, bias)));

        PythonFixtures.run(NpyWriterTest.class.getResource("format_fixtures.py"), dir, "read-back");

        assertThat(Files.readAllLines(dir.resolve("read.txt")))
                .containsExactlyInAnyOrder(
                        "cube 2,3,5 <f4",
                        "vector 11 <f4",
                        "scalar - <f4",
                        "ids 2,2 <i8",
                        "params.W_enc 4,6 <f4",
                        "params.b_enc 6 <f4");
        assertThat(PythonFixtures.f32(dir.resolve("cube.f32"))).containsExactly(cube);
        assertThat(PythonFixtures.f32(dir.resolve("vector.f32"))).containsExactly(vector);
        assertThat(Float.floatToRawIntBits(PythonFixtures.f32(dir.resolve("scalar.f32"))[0]))
                .isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(PythonFixtures.f32(dir.resolve("ids.f32"))).containsExactly(2f, 651f, 0x1p40f, -3f);
        assertThat(PythonFixtures.f32(dir.resolve("params.W_enc.f32"))).containsExactly(wEnc);
        assertThat(PythonFixtures.f32(dir.resolve("params.b_enc.f32"))).containsExactly(bias);

        try (NpzReader npz = NpzReader.open(dir.resolve("params.npz"))) {
            assertThat(npz.arrayNames()).containsExactly("W_enc", "b_enc");
            assertThat(npz.shape("W_enc")).containsExactly(4, 6);
            assertThat(npz.read("W_enc").data()).containsExactly(wEnc);
        }
        assertThat(NpyArray.read(dir.resolve("cube.npy")).shape()).containsExactly(2, 3, 5);
    }

    @Test
    void writingMoreOrFewerValuesThanTheShapeFails() {
        assertThatThrownBy(() -> NpyWriter.writeFloat32(dir.resolve("short.npy"), new float[5], 2, 3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("short.npy")
                .hasMessageContaining("wrote 5 values, the shape needs 6");
        assertThatThrownBy(() -> NpyWriter.writeFloat32(dir.resolve("long.npy"), new float[7], 2, 3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("more values written");
    }

    private static float[] values(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }
}
