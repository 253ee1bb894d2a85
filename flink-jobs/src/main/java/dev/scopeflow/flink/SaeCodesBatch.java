package dev.scopeflow.flink;

import dev.scopeflow.sae.SparseCodes;

/**
 * The sparse SAE codes of the counted rows of one activation batch for one SAE, in CSR form: row r's
 * active features are {@code features[rowStart[r] .. rowStart[r+1])} with {@code values} alongside.
 * Much smaller than the dense activations, so it is what crosses the keyBy. Flink POJO.
 */
public class SaeCodesBatch {
    public String runId;
    public String saeId;
    public int dSae;
    public int[] rowStart;
    public int[] features;
    public float[] values;

    public SaeCodesBatch() {
    }

    public SaeCodesBatch(String runId, String saeId, int dSae, int[] rowStart, int[] features, float[] values) {
        this.runId = runId;
        this.saeId = saeId;
        this.dSae = dSae;
        this.rowStart = rowStart;
        this.features = features;
        this.values = values;
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
