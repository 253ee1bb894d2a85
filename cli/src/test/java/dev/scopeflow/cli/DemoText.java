package dev.scopeflow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.producers.tokenizer.GemmaTokenizer;
import dev.scopeflow.producers.tokenizer.GemmaTokenizerPackage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the demo must publish, computed without the demo's code path: the bundled text read straight from the source
 * tree with Jackson, tokenized by the real tokenizer (BOS first) and windowed here as Gemma Scope contexts are: the
 * first window is the document's first {@code seqLen} tokens, each later one the next {@code seqLen - 1} document
 * tokens (the model sees a BOS before them, which is no document token).
 */
final class DemoText {

    static final Path FILE = Path.of("src/main/resources/dev/scopeflow/cli/" + Demo.CORPUS);

    /** One window of document tokens as the {@code documents} table holds it: text only on the first. */
    record Window(long docId, int windowStart, int[] tokenIds, String text) {}

    private DemoText() {}

    /** The texts of the bundled documents, one per line, in order (document id = line index). */
    static List<String> texts() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> texts = new ArrayList<>();
        for (String line : Files.readAllLines(FILE, StandardCharsets.UTF_8)) {
            texts.add(json.readTree(line).get("text").asText());
        }
        return texts;
    }

    /** The windows of the first {@code maxDocs} documents, in (doc, window start) order. */
    static List<Window> windows(int maxDocs, int seqLen) throws IOException {
        List<String> texts = texts();
        List<Window> windows = new ArrayList<>();
        try (GemmaTokenizer tokenizer = GemmaTokenizerPackage.load()) {
            for (int doc = 0; doc < Math.min(maxDocs, texts.size()); doc++) {
                int[] tokens = tokenizer.encode(texts.get(doc));
                int end = Math.min(seqLen, tokens.length);
                windows.add(new Window(doc, 0, Arrays.copyOfRange(tokens, 0, end), texts.get(doc)));
                for (int start = end; start < tokens.length; start += seqLen - 1) {
                    int to = Math.min(tokens.length, start + seqLen - 1);
                    windows.add(new Window(doc, start, Arrays.copyOfRange(tokens, start, to), ""));
                }
            }
        }
        return windows;
    }

    /** Document tokens in all windows (BOS at position 0 of each document included). */
    static long tokens(List<Window> windows) {
        return windows.stream().mapToLong(w -> w.tokenIds().length).sum();
    }

    /** What the job counts: every document token but each document's leading BOS. */
    static long countedTokens(List<Window> windows) {
        return tokens(windows)
                - windows.stream().filter(w -> w.windowStart() == 0).count();
    }
}
