package dev.scopeflow.producers.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a document's tokens (BOS first) into model inputs of at most {@code contextLength} tokens. Every window
 * starts with BOS, as Gemma Scope's training contexts did: the first window is the document's own start, later
 * ones get a BOS prepended that is not part of the document. Each document token lands in exactly one window.
 */
public final class ContextWindows {

    /** One model input: {@code tokens} (BOS first) and where its document tokens start in the document. */
    public record Window(int[] tokens, int firstDocumentPosition, boolean prependedBos) {
        /** Position in the document of input index {@code i}, or -1 for a prepended BOS. */
        public int documentPosition(int i) {
            if (prependedBos) {
                return i == 0 ? -1 : firstDocumentPosition + i - 1;
            }
            return firstDocumentPosition + i;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Window w
                    && Arrays.equals(tokens, w.tokens)
                    && firstDocumentPosition == w.firstDocumentPosition
                    && prependedBos == w.prependedBos;
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(tokens) + firstDocumentPosition;
        }

        @Override
        public String toString() {
            return "Window{" + tokens.length + " tokens from " + firstDocumentPosition + (prependedBos ? ", +BOS" : "")
                    + "}";
        }
    }

    private final int contextLength;
    private final int bosTokenId;

    public ContextWindows(int contextLength, int bosTokenId) {
        if (contextLength < 2) {
            throw new IllegalArgumentException(
                    "context length must be >= 2 (BOS plus one token), got " + contextLength);
        }
        this.contextLength = contextLength;
        this.bosTokenId = bosTokenId;
    }

    public int contextLength() {
        return contextLength;
    }

    /** Windows of {@code documentTokens}, which must start with BOS. */
    public List<Window> split(int[] documentTokens) {
        if (documentTokens.length == 0 || documentTokens[0] != bosTokenId) {
            throw new IllegalArgumentException("document tokens must start with BOS (" + bosTokenId + ")");
        }
        List<Window> windows = new ArrayList<>();
        int first = Math.min(contextLength, documentTokens.length);
        windows.add(new Window(Arrays.copyOfRange(documentTokens, 0, first), 0, false));
        for (int start = first; start < documentTokens.length; start += contextLength - 1) {
            int end = Math.min(documentTokens.length, start + contextLength - 1);
            int[] tokens = new int[end - start + 1];
            tokens[0] = bosTokenId;
            System.arraycopy(documentTokens, start, tokens, 1, end - start);
            windows.add(new Window(tokens, start, true));
        }
        return windows;
    }
}
