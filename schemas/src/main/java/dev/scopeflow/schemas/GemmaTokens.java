package dev.scopeflow.schemas;

/**
 * Gemma 2's special token ids (tokenizer_config.json and config.json of every Gemma 2 checkpoint). Gemma Scope
 * SAEs were not trained on them, so statistics exclude them by default; producers start documents with BOS.
 */
public final class GemmaTokens {

    public static final int PAD = 0;
    public static final int EOS = 1;
    public static final int BOS = 2;

    private GemmaTokens() {}

    /** Pad, EOS and BOS; a fresh array each call, so no caller can change what another sees. */
    public static int[] special() {
        return new int[] {PAD, EOS, BOS};
    }
}
