package dev.scopeflow.flink;

import dev.scopeflow.sae.FeatureStats;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * Flink serializer for the {@link FeatureStats} accumulator kept in keyed state. It frames the accumulator's
 * own versioned binary form ({@link FeatureStats#toBytes()}) with a length, so Flink never falls back to Kryo
 * and the on-disk format is owned (and round-trip tested) by sae-operators.
 */
public final class FeatureStatsSerializer extends TypeSerializer<FeatureStats> {

    private static final long serialVersionUID = 1L;

    public static final FeatureStatsSerializer INSTANCE = new FeatureStatsSerializer();

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<FeatureStats> duplicate() {
        return this; // stateless
    }

    @Override
    public FeatureStats createInstance() {
        return new FeatureStats(1); // an empty accumulator; real ones are sized by their SAE
    }

    @Override
    public FeatureStats copy(FeatureStats from) {
        return from.copy();
    }

    @Override
    public FeatureStats copy(FeatureStats from, FeatureStats reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(FeatureStats record, DataOutputView target) throws IOException {
        byte[] bytes = record.toBytes();
        target.writeInt(bytes.length);
        target.write(bytes);
    }

    @Override
    public FeatureStats deserialize(DataInputView source) throws IOException {
        byte[] bytes = new byte[source.readInt()];
        source.readFully(bytes);
        return FeatureStats.fromBytes(bytes);
    }

    @Override
    public FeatureStats deserialize(FeatureStats reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        int length = source.readInt();
        target.writeInt(length);
        target.write(source, length);
    }

    @Override
    public boolean equals(Object obj) {
        return obj instanceof FeatureStatsSerializer;
    }

    @Override
    public int hashCode() {
        return FeatureStatsSerializer.class.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<FeatureStats> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Stateless serializer: compatibility is decided by the accumulator's own versioned header. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<FeatureStats> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
