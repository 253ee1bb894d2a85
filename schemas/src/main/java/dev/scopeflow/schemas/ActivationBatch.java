package dev.scopeflow.schemas;

import java.util.Arrays;
import java.util.Objects;

/**
 * Activations of one model at one site for a run of token positions: the unit that travels through Kafka
 * as one Arrow record batch (see {@link ActivationBatchCodec} and schemas/README.md).
 *
 * <p>Row {@code i} is token {@code tokenIds[i]} at {@code positions[i]} of document {@code docIds[i]};
 * its activation vector is {@code values[i*width .. (i+1)*width)}. Values are float32 in memory whatever
 * the wire dtype; a BF16 batch holds values already rounded to bf16, so encode/decode round-trips exactly.
 * Arrays are owned by the batch once passed in: callers must not mutate them afterwards.
 */
public final class ActivationBatch {

    private final String runId;
    private final String modelId;
    private final Site site;
    private final int width;
    private final ActivationDtype dtype;
    private final long[] docIds;
    private final int[] positions;
    private final int[] tokenIds;
    private final float[] values;

    public ActivationBatch(
            String runId,
            String modelId,
            Site site,
            int width,
            ActivationDtype dtype,
            long[] docIds,
            int[] positions,
            int[] tokenIds,
            float[] values) {
        this.runId = Objects.requireNonNull(runId, "runId");
        this.modelId = Objects.requireNonNull(modelId, "modelId");
        this.site = Objects.requireNonNull(site, "site");
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.docIds = Objects.requireNonNull(docIds, "docIds");
        this.positions = Objects.requireNonNull(positions, "positions");
        this.tokenIds = Objects.requireNonNull(tokenIds, "tokenIds");
        this.values = Objects.requireNonNull(values, "values");
        if (width <= 0) {
            throw new IllegalArgumentException("width must be > 0, got " + width);
        }
        this.width = width;
        int rows = docIds.length;
        if (positions.length != rows || tokenIds.length != rows) {
            throw new IllegalArgumentException("docIds, positions and tokenIds differ in length: " + rows + ", "
                    + positions.length + ", " + tokenIds.length);
        }
        if ((long) rows * width != values.length) {
            throw new IllegalArgumentException(
                    "values has " + values.length + " floats, expected rows " + rows + " x width " + width);
        }
    }

    public String runId() {
        return runId;
    }

    public String modelId() {
        return modelId;
    }

    public Site site() {
        return site;
    }

    public int width() {
        return width;
    }

    public ActivationDtype dtype() {
        return dtype;
    }

    public int rows() {
        return docIds.length;
    }

    public long docId(int row) {
        return docIds[row];
    }

    public int position(int row) {
        return positions[row];
    }

    public int tokenId(int row) {
        return tokenIds[row];
    }

    /** The backing arrays (not copies): read-only by contract. */
    public long[] docIds() {
        return docIds;
    }

    public int[] positions() {
        return positions;
    }

    public int[] tokenIds() {
        return tokenIds;
    }

    public float[] values() {
        return values;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof ActivationBatch b)) return false;
        return width == b.width
                && runId.equals(b.runId)
                && modelId.equals(b.modelId)
                && site.equals(b.site)
                && dtype == b.dtype
                && Arrays.equals(docIds, b.docIds)
                && Arrays.equals(positions, b.positions)
                && Arrays.equals(tokenIds, b.tokenIds)
                && Arrays.equals(values, b.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(runId, modelId, site, width, dtype, Arrays.hashCode(docIds), Arrays.hashCode(values));
    }

    @Override
    public String toString() {
        return "ActivationBatch{run=" + runId + ", model=" + modelId + ", site=" + site + ", rows=" + rows()
                + ", width=" + width + ", dtype=" + dtype.code() + "}";
    }
}
