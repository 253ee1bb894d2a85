package dev.scopeflow.flink.types;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.stats.ReconstructionStats;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.junit.jupiter.api.Test;

/**
 * The keyed-state serializer through Flink's own serializer contract tests: copies, views of every shape,
 * duplicate, and a snapshot of its configuration that restores a compatible serializer (what a savepoint
 * relies on).
 */
class SaeRunStateSerializerTest extends SerializerTestBase<SaeRunState> {

    @Override
    protected TypeSerializer<SaeRunState> createSerializer() {
        return SaeRunStateSerializer.INSTANCE;
    }

    @Override
    protected int getLength() {
        return -1;
    }

    @Override
    protected Class<SaeRunState> getTypeClass() {
        return SaeRunState.class;
    }

    /** No SAE, no meaningful empty state: the operator creates state from its first batch instead. */
    @Override
    @Test
    protected void testInstantiate() {
        assertThat(createSerializer().createInstance()).isNull();
    }

    @Override
    protected SaeRunState[] getTestData() {
        SplittableRandom random = new SplittableRandom(3);
        SaeRunState fresh = SaeRunState.emptyFor(batch(random, 1, 0), 3);
        SaeRunState grown = SaeRunState.emptyFor(batch(random, 1, 0), 3);
        for (int doc = 0; doc < 4; doc++) {
            grown.add(batch(random, 6 + doc, doc));
        }
        SaeRunState wide = SaeRunState.emptyFor(batch(random, 1, 0), 20);
        wide.add(batch(random, 40, 9));
        return new SaeRunState[] {fresh, grown, wide};
    }

    private static SaeCodesBatch batch(SplittableRandom random, int rows, long doc) {
        int dSae = 31;
        int dIn = 4;
        float[] dense = new float[rows * dSae];
        for (int i = 0; i < dense.length; i++) {
            dense[i] = random.nextDouble() < 0.25 ? (float) random.nextDouble(0.01, 8) : 0f;
        }
        SparseCodes codes = SparseCodes.fromDense(dense, rows, dSae);
        float[] x = new float[rows * dIn];
        float[] xHat = new float[rows * dIn];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
            xHat[i] = x[i] + (float) (0.1 * random.nextGaussian());
        }
        ReconstructionStats reconstruction = new ReconstructionStats(dIn);
        reconstruction.addAll(x, xHat, codes);
        long[] docs = new long[rows];
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            docs[r] = doc;
            positions[r] = r + 1;
        }
        return new SaeCodesBatch("run", "sae-" + rows, codes, docs, positions, new int[rows], reconstruction);
    }
}
