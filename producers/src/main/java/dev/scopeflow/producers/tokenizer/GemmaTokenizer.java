package dev.scopeflow.producers.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A checkpoint's {@code tokenizer.json} through DJL's HF tokenizers, configured the way activation capture
 * needs it: no truncation (DJL's default cuts at 512 tokens), no padding, no special tokens from the tokenizer
 * itself; {@link #encode} prepends BOS explicitly, as Gemma expects, so the result does not depend on the
 * tokenizer's post-processor.
 */
public final class GemmaTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final int bosTokenId;

    private GemmaTokenizer(HuggingFaceTokenizer tokenizer, int bosTokenId) {
        this.tokenizer = tokenizer;
        this.bosTokenId = bosTokenId;
    }

    /** Loads {@code tokenizer.json} from a checkpoint (or tokenizer) directory. */
    public static GemmaTokenizer load(Path directory, int bosTokenId) {
        Path file = directory.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(directory + ": no tokenizer.json (needed to tokenize text; copy the "
                    + "model's tokenizer.json into this directory or point --model at the full Hugging Face checkpoint "
                    + "directory; only capture can skip it, given token ids with --tokens)");
        }
        try {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                    file, Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false"));
            return new GemmaTokenizer(tokenizer, bosTokenId);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot load tokenizer: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    /** BOS followed by the text's tokens, however long the text. */
    public int[] encode(String text) {
        Encoding encoding = tokenizer.encode(text, false, false);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length + 1];
        out[0] = bosTokenId;
        for (int i = 0; i < ids.length; i++) {
            out[i + 1] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /** One token id as text, through the tokenizer's decoder; special tokens are kept (e.g. {@code <bos>}). */
    public String decode(int tokenId) {
        return tokenizer.decode(new long[] {tokenId}, false);
    }

    public int bosTokenId() {
        return bosTokenId;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
