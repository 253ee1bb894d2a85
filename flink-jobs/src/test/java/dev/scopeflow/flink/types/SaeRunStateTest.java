package dev.scopeflow.flink.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.sae.stats.SaeStatistics;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** The job's keyed state: what it adds, and its bytes through the state and committable serializers. */
class SaeRunStateTest {

    private static final int D_SAE = 23;
    private static final int D_IN = 5;

    /** A batch as SaeEncodeOperator emits it, plus the same rows fed straight into {@code expected}. */
    private static SaeCodesBatch batch(SplittableRandom random, int rows, long doc, SaeStatistics expected) {
        float[] dense = new float[rows * D_SAE];
        for (int i = 0; i < dense.length; i++) {
            dense[i] = random.nextDouble() < 0.3 ? (float) Math.scalb(1.0, random.nextInt(-11, 12)) : 0f;
        }
        float[] x = new float[rows * D_IN];
        float[] xHat = new float[rows * D_IN];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
            xHat[i] = (float) random.nextGaussian();
        }
        long[] docs = new long[rows];
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            docs[r] = doc;
            positions[r] = r;
        }
        SparseCodes codes = SparseCodes.fromDense(dense, rows, D_SAE);
        ReconstructionStats reconstruction = new ReconstructionStats(D_IN);
        reconstruction.addAll(x, xHat, codes);
        expected.addReconstructed(x, xHat, codes, docs, positions);
        return new SaeCodesBatch("run-1", "sae-ü", codes, docs, positions, new int[rows], reconstruction);
    }

    private static SaeRunState stateOfTwoBatches(SaeStatistics expected) {
        SplittableRandom random = new SplittableRandom(5);
        SaeCodesBatch first = batch(random, 17, 0, expected);
        SaeRunState state = SaeRunState.emptyFor(first, 4);
        state.add(first);
        state.add(batch(random, 9, 1, expected));
        return state;
    }

    @Test
    void addingCodesBatchesEqualsAddingTheirRowsToTheBundle() {
        SaeStatistics expected = new SaeStatistics(D_SAE, D_IN, 4);
        SaeRunState state = stateOfTwoBatches(expected);
        assertThat(state.tokens()).isEqualTo(26);
        assertThat(state.statistics()).isEqualTo(expected);
        assertThat(state.statistics().reconstruction()).isEqualTo(expected.reconstruction());
    }

    @Test
    void stateSerializerRoundTripsTheKeyAndEveryStatistic() throws Exception {
        SaeRunState state = stateOfTwoBatches(new SaeStatistics(D_SAE, D_IN, 4));
        DataOutputSerializer out = new DataOutputSerializer(64);
        SaeRunStateSerializer.INSTANCE.serialize(state, out);
        SaeRunState back = SaeRunStateSerializer.INSTANCE.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back.runId()).isEqualTo("run-1");
        assertThat(back.saeId()).isEqualTo("sae-ü");
        assertThat(back.statistics()).isEqualTo(state.statistics());
        assertThat(back.toBytes()).isEqualTo(state.toBytes());

        // sized up front: DataOutputSerializer.write(DataInputView, n) does not grow its buffer
        DataOutputSerializer copied = new DataOutputSerializer(out.length());
        SaeRunStateSerializer.INSTANCE.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
        assertThat(copied.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());
        SaeRunState copy = SaeRunStateSerializer.INSTANCE.copy(state);
        assertThat(copy.statistics()).isEqualTo(state.statistics()).isNotSameAs(state.statistics());
    }

    @Test
    void snapshotCarriesTheStateBytesVersionedByTokens() throws Exception {
        SaeRunState state = stateOfTwoBatches(new SaeStatistics(D_SAE, D_IN, 4));
        SaeStatsSnapshot.Serializer serializer = new SaeStatsSnapshot.Serializer();
        SaeStatsSnapshot back =
                serializer.deserialize(serializer.getVersion(), serializer.serialize(new SaeStatsSnapshot(state)));
        assertThat(back.key()).isEqualTo(SaeCodesBatch.statsKey("run-1", "sae-ü"));
        assertThat(back.version()).isEqualTo(26);
        assertThat(SaeRunState.fromBytes(back.state).statistics()).isEqualTo(state.statistics());
    }

    @Test
    void otherFormatsAndTruncationFailNamingTheState() {
        byte[] bytes = stateOfTwoBatches(new SaeStatistics(D_SAE, D_IN, 4)).toBytes();
        byte[] formatOne = bytes.clone();
        ByteBuffer.wrap(formatOne).putInt(0, 1);
        assertThatThrownBy(() -> SaeRunState.fromBytes(formatOne))
                .hasMessageContaining("unknown SaeRunState format 1 (this build reads 2)");
        assertThatThrownBy(() -> SaeRunState.fromBytes(java.util.Arrays.copyOf(bytes, bytes.length - 3)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("SaeRunState")
                .hasMessageContaining("statistics length");
    }
}
