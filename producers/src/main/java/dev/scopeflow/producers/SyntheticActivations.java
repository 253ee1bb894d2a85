package dev.scopeflow.producers;

import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.GemmaTokens;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.format.HalfFloats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic stand-in for model activations, used by the demo and the end-to-end tests when no
 * Gemma 2 checkpoint is at hand. Each document starts with BOS (token 2) like Gemma input does; values
 * are Gaussian with a per-dimension offset so the data has a non-zero mean, and are already rounded to the
 * wire dtype so that what a consumer decodes equals what was generated. {@link #paddedDocuments} also ends
 * the shorter documents with EOS and right-pads them with PAD, as a padded tokenizer batch does.
 */
public final class SyntheticActivations {

    private static final int VOCAB = 256_000;

    private final String runId;
    private final String modelId;
    private final Site site;
    private final int width;
    private final ActivationDtype dtype;
    private final long seed;

    public SyntheticActivations(String runId, String modelId, Site site, int width, ActivationDtype dtype, long seed) {
        if (width <= 0) {
            throw new IllegalArgumentException("width must be > 0, got " + width);
        }
        this.runId = runId;
        this.modelId = modelId;
        this.site = site;
        this.width = width;
        this.dtype = dtype;
        this.seed = seed;
    }

    /**
     * Activations of documents {@code firstDoc .. firstDoc+docs-1}, each {@code seqLen} tokens long, cut into
     * batches of at most {@code maxRows} rows that never span two documents (so a batch has one Kafka key).
     * Only the first row of a document is special (BOS).
     */
    public List<ActivationBatch> documents(long firstDoc, int docs, int seqLen, int maxRows) {
        return generate(firstDoc, docs, seqLen, maxRows, false);
    }

    /**
     * Like {@link #documents}, but as a right-padded batch of a tokenizer that appends EOS: about three in four
     * documents are shorter than {@code seqLen} (at least half of it, drawn per document), end with EOS (token
     * 1) and are filled up to {@code seqLen} with PAD rows (token 0); the others fill the window (their text was
     * cut) and have neither. Statistics must exclude both.
     */
    public List<ActivationBatch> paddedDocuments(long firstDoc, int docs, int seqLen, int maxRows) {
        return generate(firstDoc, docs, seqLen, maxRows, true);
    }

    /**
     * Activations of given tokens of document {@code doc} (real ones, e.g. a tokenized text's window): row {@code r}
     * is token {@code tokenIds[r]} at {@code positions[r]}, in batches of at most {@code maxRows} rows. Values are
     * drawn as {@link #documents}' are (BOS, EOS and PAD rows scaled up), from a generator seeded by the document
     * and its first position, so the same tokens at the same place always get the same values.
     */
    public List<ActivationBatch> tokens(long doc, int[] positions, int[] tokenIds, int maxRows) {
        if (positions.length != tokenIds.length || maxRows <= 0) {
            throw new IllegalArgumentException("need as many positions as token ids and maxRows > 0; got "
                    + positions.length + ", " + tokenIds.length + ", " + maxRows);
        }
        List<ActivationBatch> batches = new ArrayList<>();
        if (positions.length == 0) {
            return batches;
        }
        SplittableRandom random = new SplittableRandom((seed * 1_000_003L + doc) * 1_000_033L + positions[0]);
        for (int start = 0; start < positions.length; start += maxRows) {
            int rows = Math.min(maxRows, positions.length - start);
            long[] docIds = new long[rows];
            Arrays.fill(docIds, doc);
            int[] batchPositions = Arrays.copyOfRange(positions, start, start + rows);
            int[] batchTokens = Arrays.copyOfRange(tokenIds, start, start + rows);
            float[] values = new float[rows * width];
            for (int r = 0; r < rows; r++) {
                fillRow(values, r, batchTokens[r], random);
            }
            batches.add(new ActivationBatch(
                    runId, modelId, site, width, dtype, docIds, batchPositions, batchTokens, values));
        }
        return batches;
    }

    private List<ActivationBatch> generate(long firstDoc, int docs, int seqLen, int maxRows, boolean padded) {
        if (docs < 0 || seqLen <= 0 || maxRows <= 0) {
            throw new IllegalArgumentException(
                    "need docs >= 0, seqLen > 0, maxRows > 0; got " + docs + ", " + seqLen + ", " + maxRows);
        }
        List<ActivationBatch> batches = new ArrayList<>();
        for (long doc = firstDoc; doc < firstDoc + docs; doc++) {
            // One generator per document: any document can be regenerated alone, in any order.
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + doc);
            // BOS plus the text: the positions before EOS. An unpadded document, and a quarter of the padded
            // ones (longer texts, cut at the window), are all text.
            int textEnd = !padded || random.nextInt(4) == 0 ? seqLen : seqLen / 2 + random.nextInt(seqLen - seqLen / 2);
            for (int start = 0; start < seqLen; start += maxRows) {
                int rows = Math.min(maxRows, seqLen - start);
                batches.add(batch(doc, start, rows, textEnd, random));
            }
        }
        return batches;
    }

    private ActivationBatch batch(long doc, int firstPosition, int rows, int textEnd, SplittableRandom random) {
        long[] docIds = new long[rows];
        int[] positions = new int[rows];
        int[] tokenIds = new int[rows];
        float[] values = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            int position = firstPosition + r;
            docIds[r] = doc;
            positions[r] = position;
            tokenIds[r] = tokenAt(position, textEnd, random);
            fillRow(values, r, tokenIds[r], random);
        }
        return new ActivationBatch(runId, modelId, site, width, dtype, docIds, positions, tokenIds, values);
    }

    /** Row {@code r} of {@code values}: Gaussian around a per-dimension offset, scaled by the token's kind. */
    private void fillRow(float[] values, int r, int tokenId, SplittableRandom random) {
        double scale = scaleOf(tokenId);
        for (int d = 0; d < width; d++) {
            double offset = 0.25 * ((d % 7) - 3);
            float v = (float) (scale * (offset + gaussian(random)));
            values[r * width + d] = dtype == ActivationDtype.BF16 ? HalfFloats.roundToBf16(v) : v;
        }
    }

    private static int tokenAt(int position, int textEnd, SplittableRandom random) {
        if (position == 0) {
            return GemmaTokens.BOS;
        }
        if (position < textEnd) {
            return 3 + random.nextInt(VOCAB - 3);
        }
        return position == textEnd ? GemmaTokens.EOS : GemmaTokens.PAD;
    }

    /**
     * BOS rows get a much larger norm, as real residual streams do, and EOS and PAD rows a larger one than
     * text: counted by mistake, they would move every statistic visibly.
     */
    private static double scaleOf(int tokenId) {
        return switch (tokenId) {
            case GemmaTokens.BOS -> 20.0;
            case GemmaTokens.EOS -> 6.0;
            case GemmaTokens.PAD -> 4.0;
            default -> 1.0;
        };
    }

    private static double gaussian(SplittableRandom random) {
        // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
        double u1 = 1.0 - random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
