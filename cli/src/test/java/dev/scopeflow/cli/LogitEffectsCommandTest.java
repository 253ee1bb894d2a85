package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.sae.kernel.MatmulBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code scopeflow logit-effects} end to end on a tiny Gemma 2 checkpoint in the HF layout (sharded BF16
 * safetensors, word-level tokenizer.json) and a Gemma Scope params.npz, both written by numpy, with every CSV row
 * checked by numpy's brute force ({@code logit_effects.py}). The vocabulary (307) crosses the row block of both
 * backends; tokens with commas, quotes and a newline check the CSV quoting.
 */
class LogitEffectsCommandTest {

    private static final int HIDDEN = 37;
    private static final int D_SAE = 53;
    private static final int VOCAB = 307;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(
            value = MatmulBackend.class,
            names = {"JAVA", "TORCH"})
    void csvMatchesNumpyWithDecodedTokens(MatmulBackend backend) throws Exception {
        python("make", dir, 11, HIDDEN, D_SAE, VOCAB);
        Path csv = dir.resolve("out/effects.csv");
        int exit = ScopeFlow.commandLine()
                .execute(
                        "logit-effects",
                        "--sae",
                        dir.resolve("params.npz").toString(),
                        "--model",
                        dir.resolve("model").toString(),
                        "--backend",
                        backend.name(),
                        "--out",
                        csv.toString());
        assertThat(exit).isZero();
        assertThat(python("check", dir, csv, 10, 1)).contains("ok: " + D_SAE * 2 * 10 + " rows");
    }

    @Test
    void withoutTokenizerTheTokenColumnIsEmpty() throws Exception {
        python("make", dir, 12, HIDDEN, D_SAE, VOCAB);
        Files.delete(dir.resolve("model/tokenizer.json"));
        Path csv = dir.resolve("effects.csv");
        LogitEffectsCommand.Result result =
                LogitEffectsCommand.run(dir.resolve("params.npz"), dir.resolve("model"), 3, MatmulBackend.JAVA, csv);
        assertThat(result.tokenText()).isFalse();
        assertThat(result.rows()).isEqualTo(D_SAE * 2 * 3);
        assertThat(python("check", dir, csv, 3, 0)).contains("ok: " + D_SAE * 2 * 3 + " rows");
    }

    @Test
    void anSaeOfAnotherWidthFailsNamingBothWidths() throws Exception {
        python("make", dir.resolve("a"), 13, HIDDEN, D_SAE, VOCAB);
        python("make", dir.resolve("b"), 13, HIDDEN + 1, D_SAE, VOCAB);
        StringWriter err = new StringWriter();
        int exit = ScopeFlow.commandLine()
                .setErr(new PrintWriter(err))
                .execute(
                        "logit-effects",
                        "--sae",
                        dir.resolve("b/params.npz").toString(),
                        "--model",
                        dir.resolve("a/model").toString(),
                        "--backend",
                        "JAVA",
                        "--out",
                        dir.resolve("x.csv").toString());
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString()).contains("d_in " + (HIDDEN + 1)).contains("hidden size " + HIDDEN);
    }

    /** Runs logit_effects.py; returns its output, failing the test if it fails. */
    private static String python(Object... args) throws IOException, InterruptedException, URISyntaxException {
        Path script = Path.of(
                LogitEffectsCommandTest.class.getResource("logit_effects.py").toURI());
        List<String> command = new ArrayList<>(List.of("python3", script.toString()));
        for (Object a : args) {
            command.add(String.valueOf(a));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError("logit_effects.py " + args[0] + " failed:\n" + output);
        }
        return output;
    }
}
