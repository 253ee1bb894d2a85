package dev.scopeflow.sae.stats;

import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.GemmaTokens;
import java.util.Arrays;

/**
 * Which tokens count towards statistics. Gemma Scope SAEs were not trained on BOS, pad or EOS, so by default
 * those ids (Gemma 2: pad 0, eos 1, bos 2) are excluded; callers pass other ids for other tokenizers.
 */
public final class TokenFilter {

    private final int[] excludedSorted;

    private TokenFilter(int[] excluded) {
        this.excludedSorted = excluded.clone();
        Arrays.sort(this.excludedSorted);
    }

    /** Excludes Gemma 2's pad (0), eos (1) and bos (2). */
    public static TokenFilter gemmaDefault() {
        return new TokenFilter(GemmaTokens.special());
    }

    public static TokenFilter excluding(int... tokenIds) {
        return new TokenFilter(tokenIds);
    }

    public static TokenFilter all() {
        return new TokenFilter(new int[0]);
    }

    public boolean counts(int tokenId) {
        return Arrays.binarySearch(excludedSorted, tokenId) < 0;
    }

    /** Indices of the rows of {@code batch} that count, ascending. */
    public int[] countedRows(ActivationBatch batch) {
        int[] rows = new int[batch.rows()];
        int n = 0;
        for (int r = 0; r < batch.rows(); r++) {
            if (counts(batch.tokenId(r))) rows[n++] = r;
        }
        return Arrays.copyOf(rows, n);
    }
}
