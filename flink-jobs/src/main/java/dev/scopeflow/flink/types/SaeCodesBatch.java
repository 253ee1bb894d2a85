package dev.scopeflow.flink.types;

import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.stats.ReconstructionStats;

/**
 * What one SAE made of the counted rows of one activation batch: the sparse codes in CSR form (row r's active
 * features are {@code features[rowStart[r] .. rowStart[r+1])} with {@code values} alongside), where each row
 * came from ({@code docIds}, {@code positions}) and its input token ({@code tokenIds}), and the batch's reconstruction statistics, which need the dense
 * input and so are computed before the keyBy. Much smaller than the dense activations. Flink POJO.
 */
public class SaeCodesBatch {
    public String runId;
    public String saeId;
    public int dSae;
    public int[] rowStart;
    public int[] features;
    public float[] values;
    public long[] docIds;
    public int[] positions;
    public int[] tokenIds;
    /** {@link ReconstructionStats#toBytes()} of this batch alone. */
    public byte[] reconstruction;

    public SaeCodesBatch() {}

    public SaeCodesBatch(
            String runId,
            String saeId,
            SparseCodes codes,
            long[] docIds,
            int[] positions,
            int[] tokenIds,
            ReconstructionStats reconstruction) {
        this(runId, saeId, codes, 0, codes.rows(), docIds, positions, tokenIds, reconstruction);
    }

    /** Rows {@code [fromRow, toRow)} of {@code codes}; {@code docIds}, {@code positions}, {@code tokenIds} are theirs. */
    public SaeCodesBatch(
            String runId,
            String saeId,
            SparseCodes codes,
            int fromRow,
            int toRow,
            long[] docIds,
            int[] positions,
            int[] tokenIds,
            ReconstructionStats reconstruction) {
        int rows = toRow - fromRow;
        if (fromRow < 0 || toRow > codes.rows() || rows < 0 || docIds.length != rows) {
            throw new IllegalArgumentException("rows [" + fromRow + ", " + toRow + ") of " + codes.rows()
                    + " codes with " + docIds.length + " doc ids");
        }
        this.runId = runId;
        this.saeId = saeId;
        this.dSae = codes.dSae();
        int base = rows == 0 ? 0 : codes.start(fromRow);
        int nnz = rows == 0 ? 0 : codes.end(toRow - 1) - base;
        this.rowStart = new int[rows + 1];
        this.features = new int[nnz];
        this.values = new float[nnz];
        for (int r = 0; r < rows; r++) {
            rowStart[r] = codes.start(fromRow + r) - base;
            for (int k = codes.start(fromRow + r); k < codes.end(fromRow + r); k++) {
                features[k - base] = codes.feature(k);
                values[k - base] = codes.value(k);
            }
        }
        rowStart[rows] = nnz;
        this.docIds = docIds;
        this.positions = positions;
        this.tokenIds = tokenIds;
        this.reconstruction = reconstruction.toBytes();
    }

    /** The codes as sae-operators' type, for the accumulators. */
    public SparseCodes toSparseCodes() {
        SparseCodes.Builder builder = SparseCodes.builder(dSae);
        for (int r = 0; r < rows(); r++) {
            for (int k = rowStart[r]; k < rowStart[r + 1]; k++) {
                builder.add(features[k], values[k]);
            }
            builder.endRow();
        }
        return builder.build();
    }

    public int rows() {
        return rowStart.length - 1;
    }

    /** The key statistics are accumulated under: one accumulator per (run, SAE). */
    public String statsKey() {
        return statsKey(runId, saeId);
    }

    public static String statsKey(String runId, String saeId) {
        return runId + "\u0000" + saeId;
    }
}
