package dev.scopeflow.flink.types;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.stats.ReconstructionStats;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;

/** The record between encode and the statistics and store: a Flink POJO (no Kryo), every field on the wire. */
class SaeCodesBatchTest {

    @Test
    void isAPojoWithoutKryo() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(SaeCodesBatch.class);
    }

    @Test
    void tokenIdsTravelWithTheRows() throws Exception {
        float[] dense = {0, 1.5f, 0, 0.25f, 2f, 0};
        SaeCodesBatch batch = new SaeCodesBatch(
                "run",
                "sae",
                SparseCodes.fromDense(dense, 2, 3),
                new long[] {4, 4},
                new int[] {7, 8},
                new int[] {651, 3922},
                new ReconstructionStats(1));
        TypeSerializer<SaeCodesBatch> serializer =
                TypeInformation.of(SaeCodesBatch.class).createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(batch, out);
        SaeCodesBatch back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back.tokenIds).containsExactly(651, 3922);
        assertThat(back.positions).containsExactly(7, 8);
        assertThat(back.toSparseCodes()).isEqualTo(batch.toSparseCodes());
    }
}
