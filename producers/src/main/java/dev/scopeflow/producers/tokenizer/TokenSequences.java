package dev.scopeflow.producers.tokenizer;

import dev.scopeflow.producers.corpus.CorpusReader;
import dev.scopeflow.producers.corpus.Document;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The token sequences an offline command ({@code capture}, {@code eval}) runs the model over: --tokens or --text. */
public final class TokenSequences {

    private TokenSequences() {}

    /** A tokens.json as {@link ActivationArrayFiles#readTokens} reads it, used as-is, every list non-empty. */
    public static List<int[]> fromTokensFile(Path file) {
        List<int[]> sequences;
        try {
            sequences = ActivationArrayFiles.readTokens(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i).length == 0) {
                throw new IllegalArgumentException(file + ": entry " + i + " is an empty list; the model needs at "
                        + "least one token per sequence");
            }
        }
        return sequences;
    }

    /**
     * A text file, one document per line, tokenized with the checkpoint's tokenizer.json (BOS first) and cut into
     * context windows of {@code contextLength} tokens.
     */
    public static List<int[]> fromTextFile(Path textFile, Path model, int bosTokenId, int contextLength) {
        List<int[]> sequences = new ArrayList<>();
        ContextWindows windows = new ContextWindows(contextLength, bosTokenId);
        try (GemmaTokenizer tokenizer = GemmaTokenizer.load(model, bosTokenId);
                CorpusReader corpus = CorpusReader.textLines(textFile)) {
            for (Document doc : corpus) {
                for (ContextWindows.Window w : windows.split(tokenizer.encode(doc.text()))) {
                    sequences.add(w.tokens());
                }
            }
        }
        return sequences;
    }
}
