package dev.scopeflow.sae.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.scopeflow.sae.kernel.SparseCodes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class SaeStatisticsTest {

    private static final int D_SAE = 37;
    private static final int D_IN = 6;
    private static final int TOP_K = 3;

    /** One batch of a random stream: codes, where each row came from, input and reconstruction. */
    private record Batch(SparseCodes codes, long[] docs, int[] positions, float[] x, float[] xHat) {
        void addTo(SaeStatistics stats) {
            stats.addReconstructed(x, xHat, codes, docs, positions);
        }
    }

    /**
     * Activations are powers of two from 2^-12 to 2^12, so they fall into many histogram bins and intervals
     * (both underflow and overflow) and every double sum of them is exact in any order; few docs and positions
     * make ties, so the doc/position tie-breaks decide.
     */
    private static List<Batch> randomStream(SplittableRandom random) {
        List<Batch> batches = new ArrayList<>();
        int nBatches = 1 + random.nextInt(12);
        for (int b = 0; b < nBatches; b++) {
            int rows = random.nextInt(20); // empty batches too
            SparseCodes.Builder builder = SparseCodes.builder(D_SAE);
            long[] docs = new long[rows];
            int[] positions = new int[rows];
            float[] x = new float[rows * D_IN];
            float[] xHat = new float[rows * D_IN];
            for (int r = 0; r < rows; r++) {
                for (int f = 0; f < D_SAE - 5; f++) { // the last 5 features never fire
                    if (random.nextDouble() < 0.25) {
                        builder.add(f, (float) Math.scalb(1.0, random.nextInt(-12, 13)));
                    }
                }
                builder.endRow();
                docs[r] = random.nextInt(6);
                positions[r] = random.nextInt(8);
                for (int d = 0; d < D_IN; d++) {
                    x[r * D_IN + d] = random.nextInt(-16, 17) / 8f;
                    xHat[r * D_IN + d] = random.nextInt(-16, 17) / 8f;
                }
            }
            batches.add(new Batch(builder.build(), docs, positions, x, xHat));
        }
        return batches;
    }

    private static SaeStatistics addAll(List<Batch> batches) {
        SaeStatistics stats = new SaeStatistics(D_SAE, D_IN, TOP_K);
        batches.forEach(b -> b.addTo(stats));
        return stats;
    }

    @RepeatedTest(25)
    void mergeOfASplitStreamEqualsAddingItAllToOne(RepetitionInfo repetition) {
        SplittableRandom random = new SplittableRandom(repetition.getCurrentRepetition());
        List<Batch> stream = randomStream(random);
        int split = random.nextInt(stream.size() + 1);
        SaeStatistics whole = addAll(stream);
        SaeStatistics merged = addAll(stream.subList(0, split));
        SaeStatistics second = addAll(stream.subList(split, stream.size()));
        byte[] secondBefore = second.toBytes();
        merged.merge(second);

        assertThat(merged.features()).isEqualTo(whole.features());
        assertThat(merged.topExamples()).isEqualTo(whole.topExamples());
        assertThat(merged.histogram()).isEqualTo(whole.histogram());
        assertThat(merged.intervalSamples()).isEqualTo(whole.intervalSamples());
        ReconstructionStats m = merged.reconstruction();
        ReconstructionStats w = whole.reconstruction();
        assertThat(m.tokens()).isEqualTo(w.tokens()).isEqualTo(whole.tokens());
        assertThat(m.l0()).isEqualTo(w.l0());
        assertThat(m.sumSquaredError()).isEqualTo(w.sumSquaredError()); // eighths: exact sums
        // Means and centred squares are merged with Chan's formula, whose divisions round differently when
        // the same batches are grouped differently: equal up to double rounding only.
        assertThat(m.totalCentredVariance())
                .isCloseTo(w.totalCentredVariance(), within(1e-12 * Math.max(1, w.totalCentredVariance())));
        assertThat(m.cosine()).isCloseTo(w.cosine(), within(1e-12));
        assertThat(second.toBytes()).as("merge leaves its argument unchanged").isEqualTo(secondBefore);
        assertThat(whole.features().max(D_SAE - 1)).isZero();
    }

    @Test
    void everyAccumulatorSeesEveryRowExactlyAsByHand() {
        SparseCodes codes = SparseCodes.builder(4)
                .add(1, 0.5f)
                .add(3, 2000f)
                .endRow()
                .add(1, 0.0001f)
                .endRow()
                .endRow()
                .build();
        SaeStatistics stats = new SaeStatistics(4, 2, 2);
        stats.addReconstructed(
                new float[] {1, 2, 3, 4, 5, 6}, new float[] {1, 2, 3, 3, 5, 4}, codes, new long[] {7, 8, 9}, new int[] {
                    0, 1, 2
                });

        assertThat(stats.tokens()).isEqualTo(3);
        assertThat(stats.features().fireCount(1)).isEqualTo(2);
        assertThat(stats.features().sum(1)).isEqualTo(0.5 + (double) 0.0001f);
        assertThat(stats.topExamples().examples(1))
                .containsExactly(new TopExamples.Example(7, 0, 0.5f), new TopExamples.Example(8, 1, 0.0001f));
        assertThat(stats.histogram().count(3, stats.histogram().binCount() - 1))
                .as("2000 overflows 1e3")
                .isOne();
        assertThat(stats.histogram().count(1, 0)).as("1e-4 underflows 1e-3").isOne();
        assertThat(stats.intervalSamples().samples(3, stats.intervalSamples().intervalCount() - 1))
                .containsExactly(new TopExamples.Example(7, 0, 2000f));
        assertThat(stats.reconstruction().sumSquaredError()).isEqualTo(1 + 4);
        assertThat(stats.reconstruction().l0()).isEqualTo(1.0);
    }

    @RepeatedTest(5)
    void bytesRoundTripExactly(RepetitionInfo repetition) {
        SaeStatistics stats = addAll(randomStream(new SplittableRandom(100 + repetition.getCurrentRepetition())));
        byte[] bytes = stats.toBytes();
        SaeStatistics back = SaeStatistics.fromBytes(bytes);
        assertThat(back).isEqualTo(stats);
        assertThat(back.reconstruction()).isEqualTo(stats.reconstruction());
        assertThat(back.toBytes()).isEqualTo(bytes);
        assertThat(stats.copy()).isEqualTo(stats).isNotSameAs(stats);
    }

    @Test
    void corruptOrUnknownBytesFailNamingTheProblem() {
        byte[] bytes = addAll(randomStream(new SplittableRandom(7))).toBytes();

        byte[] future = bytes.clone();
        future[4] = 2;
        assertThatThrownBy(() -> SaeStatistics.fromBytes(future))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SaeStatistics")
                .hasMessageContaining("unsupported version 2")
                .hasMessageContaining("reads 1");
        byte[] otherMagic = bytes.clone();
        otherMagic[0] = 'X';
        assertThatThrownBy(() -> SaeStatistics.fromBytes(otherMagic)).hasMessageContaining("bad magic");
        for (int length = 0; length < bytes.length; length++) {
            byte[] truncated = Arrays.copyOf(bytes, length);
            assertThatThrownBy(() -> SaeStatistics.fromBytes(truncated))
                    .as("truncated to %d bytes", length)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("SaeStatistics");
        }
        assertThatThrownBy(() -> SaeStatistics.fromBytes(Arrays.copyOf(bytes, bytes.length + 1)))
                .hasMessageContaining("1 trailing bytes");
    }

    @Test
    void partsThatDisagreeAreRejected() {
        SaeStatistics stats = addAll(randomStream(new SplittableRandom(3)));
        SaeStatistics empty = new SaeStatistics(D_SAE, D_IN, TOP_K);
        SaeStatistics narrower = new SaeStatistics(D_SAE - 1, D_IN, TOP_K);
        assertThat(stats.tokens()).isPositive();
        assertThatThrownBy(() -> SaeStatistics.fromBytes(frame(stats, stats, stats, stats, empty)))
                .hasMessageContaining("disagree on tokens");
        assertThatThrownBy(() -> SaeStatistics.fromBytes(frame(empty, empty, narrower, empty, empty)))
                .hasMessageContaining("disagree on d_sae");
        byte[] garbled = frame(stats, stats, stats, stats, stats);
        garbled[10] ^= 0x7f; // inside the feature stats' own header
        assertThatThrownBy(() -> SaeStatistics.fromBytes(garbled))
                .hasMessageContaining("SaeStatistics")
                .hasMessageContaining("feature stats");
    }

    @Test
    void mismatchedInputsAreRejectedBeforeAnythingIsAdded() {
        SaeStatistics stats = new SaeStatistics(4, 2, 2);
        SparseCodes codes = SparseCodes.builder(4).add(0, 1f).endRow().build();
        assertThatThrownBy(() -> stats.addCodes(codes, new long[] {0}, new int[] {0}, new ReconstructionStats(2)))
                .hasMessageContaining("reconstruction statistics of 0 tokens for a batch of 1 rows");
        assertThatThrownBy(() -> stats.addReconstructed(new float[2], new float[2], codes, new long[0], new int[0]))
                .hasMessageContaining("one doc and position per row");
        assertThatThrownBy(() -> stats.merge(new SaeStatistics(4, 2, 3))).hasMessageContaining("top examples");
        assertThatThrownBy(() -> stats.merge(new SaeStatistics(4, 3, 2))).hasMessageContaining("d_in 3");
        assertThat(stats).isEqualTo(new SaeStatistics(4, 2, 2));
    }

    /** Bundle bytes whose parts come from different bundles, as a corrupt or hand-made input would. */
    private static byte[] frame(
            SaeStatistics features,
            SaeStatistics top,
            SaeStatistics histogram,
            SaeStatistics intervals,
            SaeStatistics reconstruction) {
        BinaryWriter out = new BinaryWriter(64);
        out.writeInt(0x53465342);
        out.writeByte(1);
        out.writeBlob(features.features().toBytes());
        out.writeBlob(top.topExamples().toBytes());
        out.writeBlob(histogram.histogram().toBytes());
        out.writeBlob(intervals.intervalSamples().toBytes());
        out.writeBlob(reconstruction.reconstruction().toBytes());
        return out.toByteArray();
    }
}
