package dev.scopeflow.producers.model;

import dev.scopeflow.schemas.DownstreamSums;

/**
 * What {@link Gemma2Model#evaluate} measured on one batch: for each splice (in the order given) and each sequence
 * of the batch, the {@link DownstreamSums} of that sequence's counted predictions, so a caller can keep windows
 * apart (streaming) or add them up ({@link #total}).
 */
public final class SpliceEvaluation {

    private final DownstreamSums[][] sums;

    private SpliceEvaluation(DownstreamSums[][] sums) {
        this.sums = sums;
    }

    public int splices() {
        return sums.length;
    }

    public int sequences() {
        return sums.length == 0 ? 0 : sums[0].length;
    }

    /** The sums of sequence {@code sequence} of the batch under splice {@code splice}. */
    public DownstreamSums sums(int splice, int sequence) {
        return sums[splice][sequence];
    }

    /** The sums of the whole batch under splice {@code splice}. */
    public DownstreamSums total(int splice) {
        DownstreamSums total = DownstreamSums.EMPTY;
        for (DownstreamSums s : sums[splice]) {
            total = total.plus(s);
        }
        return total;
    }

    /** Accumulates per-position values in float64 per (splice, sequence). */
    static final class Builder {
        private final long[] n;
        private final double[] ceClean;
        private final double[][] ce; // [splice * 2 + (zero ? 1 : 0)][sequence]
        private final double[][] kl;
        private final int splices;

        Builder(int splices, int sequences) {
            this.splices = splices;
            this.n = new long[sequences];
            this.ceClean = new double[sequences];
            this.ce = new double[2 * splices][sequences];
            this.kl = new double[2 * splices][sequences];
        }

        void addClean(int sequence, float crossEntropy) {
            n[sequence]++;
            ceClean[sequence] += crossEntropy;
        }

        void addOther(int splice, boolean zero, int sequence, float crossEntropy, float klFromClean) {
            int pass = 2 * splice + (zero ? 1 : 0);
            ce[pass][sequence] += crossEntropy;
            kl[pass][sequence] += klFromClean;
        }

        SpliceEvaluation build() {
            DownstreamSums[][] out = new DownstreamSums[splices][n.length];
            for (int s = 0; s < splices; s++) {
                for (int q = 0; q < n.length; q++) {
                    out[s][q] = new DownstreamSums(
                            n[q], ceClean[q], ce[2 * s][q], ce[2 * s + 1][q], kl[2 * s][q], kl[2 * s + 1][q]);
                }
            }
            return new SpliceEvaluation(out);
        }
    }
}
