package dev.scopeflow.dashboard;

import dev.scopeflow.schemas.results.ResultsReader.ContextWindow;
import java.util.List;
import java.util.Optional;

/** The tokens around one position of a document: up to {@code radius} before, the token itself, and after. */
record TokenContext(List<Integer> before, int token, List<Integer> after) {

    /** Tokens shown on each side of an example. */
    static final int RADIUS = 8;

    /**
     * The context of document position {@code position} within a window of {@code tokenIds} that starts at
     * document position {@code windowStart}; {@code null} when the window does not contain the position.
     * Near the window's edges fewer tokens are available and fewer are shown.
     */
    static TokenContext around(List<Integer> tokenIds, long windowStart, long position, int radius) {
        long offset = position - windowStart;
        if (offset < 0 || offset >= tokenIds.size()) {
            return null;
        }
        int at = (int) offset;
        return new TokenContext(
                List.copyOf(tokenIds.subList(Math.max(0, at - radius), at)),
                tokenIds.get(at),
                List.copyOf(tokenIds.subList(at + 1, Math.min(tokenIds.size(), at + 1 + radius))));
    }

    /**
     * The context of {@code position} from whichever of a document's windows holds it with the most room on both
     * sides (a document may have several overlapping windows); empty when none holds it.
     */
    static Optional<TokenContext> best(List<ContextWindow> windows, long position, int radius) {
        TokenContext best = null;
        long bestMargin = -1;
        for (ContextWindow window : windows) {
            TokenContext candidate = around(window.tokenIds(), window.start(), position, radius);
            long margin = margin(window.tokenIds().size(), window.start(), position);
            if (candidate != null && margin > bestMargin) {
                bestMargin = margin;
                best = candidate;
            }
        }
        return Optional.ofNullable(best);
    }

    /** How far the position is from the nearer edge of its window: bigger means more context on both sides. */
    static long margin(int windowLength, long windowStart, long position) {
        long offset = position - windowStart;
        return Math.min(offset, windowLength - 1 - offset);
    }
}
