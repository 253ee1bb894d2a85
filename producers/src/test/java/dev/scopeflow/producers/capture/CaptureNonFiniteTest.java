package dev.scopeflow.producers.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.producers.testing.TinyGemma;
import dev.scopeflow.schemas.Site;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint whose embedding row of one token overflows float32 once scaled by sqrt(hidden_size): capture
 * must stop with the sequence, position and site of the first non-finite activation, not export it.
 */
class CaptureNonFiniteTest {

    private static final int OVERFLOWING_TOKEN = 60;

    @TempDir
    Path tmp;

    @Test
    void aNonFiniteActivationFromTheModelIsAnErrorNamingSequencePositionAndSite() throws Exception {
        Path model = TinyGemma.write(tmp.resolve("model"), "f32", 1);
        setEmbeddingRow(model, OVERFLOWING_TOKEN, 1e38f);
        Path tokens = tmp.resolve("tokens.json");
        // Sequence 1, position 2 holds the token. Its key and value are non-finite, and the masked attention weight
        // 0 times a NaN value is NaN, so every position of sequence 1 is hit from layer 0 on: the first is
        // position 0. Sequence 0 never sees the token and stays finite.
        Files.writeString(tokens, "[[2, 50, 51], [2, 50, " + OVERFLOWING_TOKEN + ", 70]]", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> CaptureExport.run(CaptureRequest.builder()
                        .setModel(model)
                        .setTokensFile(tokens)
                        .setSites(List.of(Site.parse("res.0")))
                        .setOutDir(tmp.resolve("out"))
                        .build()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("the model produced a non-finite activation ")
                .hasMessageContaining("at sequence 1, position 0, dimension ")
                .hasMessageEndingWith(" of site res.0; check the weights of " + model);
    }

    /** Rewrites one row of the tied embedding in the checkpoint's safetensors with numpy. */
    private static void setEmbeddingRow(Path model, int row, float value) throws Exception {
        String script = "import glob, json, struct, sys, numpy as np\n"
                + "for p in glob.glob(sys.argv[1] + '/*.safetensors'):\n"
                + "    b = bytearray(open(p, 'rb').read()); n = struct.unpack('<Q', b[:8])[0]\n"
                + "    t = json.loads(bytes(b[8:8 + n])).get('model.embed_tokens.weight')\n"
                + "    if t is None: continue\n"
                + "    assert t['dtype'] == 'F32', t['dtype']\n"
                + "    s, e = t['data_offsets']\n"
                + "    a = np.frombuffer(bytes(b[8 + n + s:8 + n + e]), dtype='<f4').reshape(t['shape']).copy()\n"
                + "    a[int(sys.argv[2])] = float(sys.argv[3]); b[8 + n + s:8 + n + e] = a.tobytes()\n"
                + "    open(p, 'wb').write(b); print('patched')\n";
        Process python = new ProcessBuilder("python3", "-c", script, model.toString(), String.valueOf(row), "" + value)
                .redirectErrorStream(true)
                .start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.waitFor()).as("numpy: %s", output).isZero();
        assertThat(output).contains("patched");
    }
}
