package dev.scopeflow.schemas.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {

    @TempDir
    Path tmp;

    @Test
    void widensBf16AndF16BitPatternsExactly() throws Exception {
        // IEEE / bfloat16 bit patterns with their exact values.
        Path file = SafetensorsBytes.write(
                tmp.resolve("a.safetensors"),
                "{\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,8]},"
                        + "\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[8,20]}}",
                concat(
                        SafetensorsBytes.littleEndianShorts(0x3F80, 0xC010, 0x7F80, 0x0001),
                        SafetensorsBytes.littleEndianShorts(0x3C00, 0xC000, 0x7BFF, 0x0001, 0x8400, 0xFC00)));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            float[] b = new float[4];
            f.read(f.tensors().get("b"), 0, FloatBuffer.wrap(b));
            assertThat(b).containsExactly(1f, -2.25f, Float.POSITIVE_INFINITY, 0x1p-133f);
            float[] h = new float[6];
            f.read(f.tensors().get("h"), 0, FloatBuffer.wrap(h));
            assertThat(h).containsExactly(1f, -2f, 65504f, 0x1p-24f, -0x1p-14f, Float.NEGATIVE_INFINITY);
            float[] slice = new float[2];
            f.read(f.tensors().get("h"), 3, FloatBuffer.wrap(slice));
            assertThat(slice).containsExactly(0x1p-24f, -0x1p-14f);
            assertThat(f.tensors().get("h").shape()).containsExactly(2, 3);
        }
    }

    /**
     * Reads that span several windows (8 bytes here: 2 f32, 4 bf16 or 1 f64 value per window, and ranges that
     * start and end inside one) give what one read of the whole tensor gives, for every dtype.
     */
    @Test
    void readsAcrossManySmallWindowsAsInOne() throws Exception {
        int n = 37;
        ByteBuffer data = ByteBuffer.allocate(n * 4 + n * 2 + n * 8).order(ByteOrder.LITTLE_ENDIAN);
        float[] want32 = new float[n];
        for (int i = 0; i < n; i++) {
            want32[i] = i * 0.75f - 9.5f;
            data.putFloat(want32[i]);
        }
        for (int i = 0; i < n; i++) {
            data.putShort((short) (Float.floatToRawIntBits(want32[i]) >>> 16)); // exact in bf16
        }
        for (int i = 0; i < n; i++) {
            data.putDouble(want32[i]);
        }
        Path file = SafetensorsBytes.write(
                tmp.resolve("w.safetensors"),
                "{\"f\":{\"dtype\":\"F32\",\"shape\":[37],\"data_offsets\":[0,148]},"
                        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[37],\"data_offsets\":[148,222]},"
                        + "\"d\":{\"dtype\":\"F64\",\"shape\":[37],\"data_offsets\":[222,518]}}",
                data.array());
        try (SafetensorsFile small = SafetensorsFile.open(file, 8)) {
            for (String name : new String[] {"f", "b", "d"}) {
                float[] whole = new float[n];
                small.read(small.tensors().get(name), 0, FloatBuffer.wrap(whole));
                assertThat(whole).as(name).containsExactly(want32);
                float[] middle = new float[21];
                small.read(small.tensors().get(name), 5, FloatBuffer.wrap(middle));
                assertThat(middle).as(name).containsExactly(java.util.Arrays.copyOfRange(want32, 5, 26));
            }
        }
        assertThatThrownBy(() -> SafetensorsFile.open(file, 12)).hasMessageContaining("positive multiple of 8");
    }

    @Test
    void readsF32() throws Exception {
        ByteBuffer data = ByteBuffer.allocate(12)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(0.1f)
                .putFloat(-3e38f)
                .putFloat(7f);
        Path file = SafetensorsBytes.write(
                tmp.resolve("f.safetensors"),
                "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}",
                data.array());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            float[] out = new float[3];
            f.read(f.tensors().get("w"), 0, FloatBuffer.wrap(out));
            assertThat(out).containsExactly(0.1f, -3e38f, 7f);
        }
    }

    @Test
    void readsF64MetadataAndWholeTensorsByName() throws Exception {
        ByteBuffer data = ByteBuffer.allocate(24)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(0.1)
                .putDouble(-1e300)
                .putDouble(2.5);
        Path file = SafetensorsBytes.write(
                tmp.resolve("d.safetensors"),
                "{\"__metadata__\":{\"format\":\"pt\"},\"d\":{\"dtype\":\"F64\",\"shape\":[1,3],\"data_offsets\":[0,24]}}",
                data.array());
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThat(f.metadata()).containsEntry("format", "pt");
            assertThat(f.tensors()).containsOnlyKeys("d");
            assertThat(f.tensor("d").intShape()).containsExactly(1, 3);
            assertThat(f.readAll("d")).containsExactly(0.1f, Float.NEGATIVE_INFINITY, 2.5f);
            assertThatThrownBy(() -> f.readAll("W_enc"))
                    .isInstanceOf(FileFormatException.class)
                    .hasMessageContaining("d.safetensors")
                    .hasMessageContaining("tensor 'W_enc' is missing")
                    .hasMessageContaining("has: d");
        }
    }

    @Test
    void corruptHeaderLengthIsReported() throws IOException {
        Path file = tmp.resolve("bad.safetensors");
        Files.write(file, new byte[] {(byte) 0xFF, (byte) 0xFF, 0x7F, 0, 0, 0, 0, 0, '{', '}'});
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("corrupt safetensors header")
                .hasMessageContaining("header length");
    }

    @Test
    void headerThatIsNotJsonIsReported() throws Exception {
        Path file = SafetensorsBytes.write(tmp.resolve("bad.safetensors"), "{\"w\": {\"dtype\": \"F32\",", new byte[4]);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("bad.safetensors")
                .hasMessageContaining("invalid JSON");
    }

    @Test
    void offsetsPastTheEndOfTheFileAreReported() throws Exception {
        Path file = SafetensorsBytes.write(
                tmp.resolve("short.safetensors"),
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                new byte[8]);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("tensor 'w'")
                .hasMessageContaining("truncated");
    }

    @Test
    void shapeThatDisagreesWithTheByteRangeIsReported() throws Exception {
        Path file = SafetensorsBytes.write(
                tmp.resolve("odd.safetensors"),
                "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,8]}}",
                new byte[8]);
        assertThatThrownBy(() -> SafetensorsFile.open(file))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("tensor 'w'")
                .hasMessageContaining("needs 6 bytes");
    }

    @Test
    void unsupportedDtypeIsReportedWhenRead() throws Exception {
        Path file = SafetensorsBytes.write(
                tmp.resolve("int.safetensors"),
                "{\"w\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]}}",
                new byte[4]);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertThatThrownBy(() -> f.read(f.tensors().get("w"), 0, FloatBuffer.allocate(4)))
                    .isInstanceOf(FileFormatException.class)
                    .hasMessageContaining("int.safetensors")
                    .hasMessageContaining("tensor 'w' has dtype I8")
                    .hasMessageContaining("F32, F16, BF16");
        }
    }

    @Test
    void missingFileIsReported() throws Exception {
        assertThatThrownBy(() -> SafetensorsFile.open(tmp.resolve("none.safetensors")))
                .isInstanceOf(FileFormatException.class)
                .hasMessageContaining("none.safetensors")
                .hasMessageContaining("does not exist");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
