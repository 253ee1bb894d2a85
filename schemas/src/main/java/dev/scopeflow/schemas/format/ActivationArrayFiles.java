package dev.scopeflow.schemas.format;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An activation array with what says which of its positions are real tokens, in the layout {@code scopeflow
 * capture} writes: {@code <site>.npy} [n_seq, seq_len, d] (any float dtype), optionally {@code attention_mask.npy}
 * [n_seq, seq_len] (0/1 in any integer or bool dtype; 1 = a real token, as in Hugging Face) and {@code tokens.json}
 * (one token-id list per sequence; positions past a list's end are padding). A position is real when the mask, if
 * given, is 1 there and it lies inside its sequence's token list, if given. Shapes are checked from the headers
 * before the activations are loaded, so a mismatch costs no read of a large file.
 */
public final class ActivationArrayFiles {

    private final Path activationsFile;
    private final int sequences;
    private final int seqLen;
    private final int width;
    private final float[] values;
    private final boolean[] real;
    private final List<int[]> tokens;

    private ActivationArrayFiles(
            Path activationsFile, int[] shape, float[] values, boolean[] real, List<int[]> tokens) {
        this.activationsFile = activationsFile;
        this.sequences = shape[0];
        this.seqLen = shape[1];
        this.width = shape[2];
        this.values = values;
        this.real = real;
        this.tokens = tokens;
    }

    /** Reads and cross-checks the files; {@code mask} and {@code tokens} may be null. */
    public static ActivationArrayFiles read(Path activations, Path mask, Path tokens) throws IOException {
        int[] shape = NpyArray.shape(activations);
        if (shape.length != 3 || shape[2] == 0) {
            throw new FileFormatException(activations + ": activations have shape " + Arrays.toString(shape)
                    + ", expected [n_seq, seq_len, d] with d > 0");
        }
        int nSeq = shape[0];
        int seqLen = shape[1];
        boolean[] real = new boolean[Math.multiplyExact(nSeq, seqLen)];
        Arrays.fill(real, true);
        if (mask != null) {
            applyMask(mask, activations, nSeq, seqLen, real);
        }
        List<int[]> tokenLists = null;
        if (tokens != null) {
            tokenLists = readTokens(tokens);
            applyTokens(tokens, tokenLists, activations, nSeq, seqLen, real);
        }
        NpyArray array = NpyArray.read(activations);
        return new ActivationArrayFiles(activations, shape, array.data(), real, tokenLists);
    }

    private static void applyMask(Path mask, Path activations, int nSeq, int seqLen, boolean[] real)
            throws IOException {
        NpyArray m = NpyArray.read(mask);
        if (!m.hasShape(nSeq, seqLen)) {
            throw new FileFormatException(mask + ": mask has shape " + Arrays.toString(m.shape()) + ", expected [n_seq "
                    + nSeq + ", seq_len " + seqLen + "] of " + activations);
        }
        float[] flags = m.data();
        for (int t = 0; t < real.length; t++) {
            if (flags[t] != 0 && flags[t] != 1) {
                throw new FileFormatException(mask + ": mask holds " + flags[t] + " at sequence " + t / seqLen
                        + ", position " + t % seqLen + "; expected 0 (leave out) or 1 (a real token)");
            }
            real[t] &= flags[t] == 1;
        }
    }

    private static void applyTokens(
            Path file, List<int[]> tokenLists, Path activations, int nSeq, int seqLen, boolean[] real)
            throws FileFormatException {
        if (tokenLists.size() != nSeq) {
            throw new FileFormatException(file + ": " + tokenLists.size() + " token lists, but " + activations + " has "
                    + nSeq + " sequences");
        }
        for (int s = 0; s < nSeq; s++) {
            int length = tokenLists.get(s).length;
            if (length > seqLen) {
                throw new FileFormatException(file + ": sequence " + s + " has " + length
                        + " tokens, more than seq_len " + seqLen + " of " + activations);
            }
            Arrays.fill(real, s * seqLen + length, (s + 1) * seqLen, false);
        }
    }

    /** tokens.json: a JSON list of token-id lists, e.g. {@code [[2, 651, 3922], [2, 7127]]}. */
    public static List<int[]> readTokens(Path file) throws IOException {
        JsonNode outer = Json.read(file, "not valid JSON");
        if (!outer.isArray()) {
            throw new FileFormatException(file + ": expected a JSON list of token-id lists, e.g. [[2, 651, 3922]]");
        }
        List<int[]> sequences = new ArrayList<>(outer.size());
        for (int s = 0; s < outer.size(); s++) {
            JsonNode inner = outer.get(s);
            if (!inner.isArray()) {
                throw new FileFormatException(file + ": entry " + s + " is not a list of token ids");
            }
            int[] ids = new int[inner.size()];
            for (int p = 0; p < ids.length; p++) {
                JsonNode id = inner.get(p);
                if (!id.isIntegralNumber() || !id.canConvertToInt() || id.asInt() < 0) {
                    throw new FileFormatException(file + ": entry " + s + ", position " + p
                            + " is not a token id (non-negative integer): " + id);
                }
                ids[p] = id.asInt();
            }
            sequences.add(ids);
        }
        return sequences;
    }

    public Path activationsFile() {
        return activationsFile;
    }

    public int sequences() {
        return sequences;
    }

    public int seqLen() {
        return seqLen;
    }

    public int width() {
        return width;
    }

    /** The activations in C order, float32: position {@code p} of sequence {@code s} at {@code (s*seqLen+p)*width}. */
    public float[] values() {
        return values;
    }

    public boolean isReal(int sequence, int position) {
        return real[sequence * seqLen + position];
    }

    /** Real positions in all sequences. */
    public long realPositions() {
        long n = 0;
        for (boolean r : real) {
            n += r ? 1 : 0;
        }
        return n;
    }

    public boolean hasTokens() {
        return tokens != null;
    }

    /** Sequence {@code s}'s token ids; only with {@link #hasTokens()}. */
    public int[] tokens(int sequence) {
        if (tokens == null) {
            throw new IllegalStateException(activationsFile + " was read without a tokens file");
        }
        return tokens.get(sequence);
    }
}
