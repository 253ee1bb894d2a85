package dev.scopeflow.producers.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Token sequences right-padded to a common length with an attention mask (1 = real token, 0 = padding), the
 * layout HF uses for batched causal LM inputs. Padding never changes what real positions compute.
 */
public final class TokenBatch {

    private final List<int[]> sequences;
    private final int seqLen;
    private final int padTokenId;

    private TokenBatch(List<int[]> sequences, int seqLen, int padTokenId) {
        this.sequences = sequences;
        this.seqLen = seqLen;
        this.padTokenId = padTokenId;
    }

    /** Pads {@code sequences} (each non-empty) on the right with {@code padTokenId}. */
    public static TokenBatch rightPadded(List<int[]> sequences, int padTokenId) {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("a token batch needs at least one sequence");
        }
        List<int[]> copies = new ArrayList<>(sequences.size());
        int longest = 0;
        for (int i = 0; i < sequences.size(); i++) {
            int[] s = sequences.get(i);
            if (s.length == 0) {
                throw new IllegalArgumentException("token sequence " + i + " is empty");
            }
            for (int id : s) {
                if (id < 0) {
                    throw new IllegalArgumentException("token sequence " + i + " has a negative token id " + id);
                }
            }
            copies.add(s.clone());
            longest = Math.max(longest, s.length);
        }
        return new TokenBatch(List.copyOf(copies), longest, padTokenId);
    }

    public int batchSize() {
        return sequences.size();
    }

    public int seqLen() {
        return seqLen;
    }

    public int length(int sequence) {
        return sequences.get(sequence).length;
    }

    /** The unpadded token ids of one sequence (a copy). */
    public int[] tokens(int sequence) {
        return sequences.get(sequence).clone();
    }

    /** Padded ids, row-major [batch, seqLen]. */
    public long[] paddedIds() {
        long[] ids = new long[sequences.size() * seqLen];
        for (int b = 0; b < sequences.size(); b++) {
            int[] s = sequences.get(b);
            for (int t = 0; t < seqLen; t++) {
                ids[b * seqLen + t] = t < s.length ? s[t] : padTokenId;
            }
        }
        return ids;
    }

    /** Attention mask, row-major [batch, seqLen]: 1 for real tokens, 0 for padding. */
    public int[] attentionMask() {
        int[] mask = new int[sequences.size() * seqLen];
        for (int b = 0; b < sequences.size(); b++) {
            for (int t = 0; t < sequences.get(b).length; t++) {
                mask[b * seqLen + t] = 1;
            }
        }
        return mask;
    }

    public int maxTokenId() {
        int max = 0;
        for (int[] s : sequences) {
            for (int id : s) {
                max = Math.max(max, id);
            }
        }
        return max;
    }
}
