package dev.scopeflow.flink.types;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink serializer for the {@link SaeRunState} kept in keyed state: it frames the state's own versioned binary
 * form with a length, so Flink never falls back to Kryo and the on-disk format is owned (and round-trip
 * tested) in one place.
 */
public final class SaeRunStateSerializer extends TypeSerializer<SaeRunState> {
    private static final long serialVersionUID = 1L;
    public static final SaeRunStateSerializer INSTANCE = new SaeRunStateSerializer();

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<SaeRunState> duplicate() {
        return this; // stateless
    }

    @Override
    public SaeRunState createInstance() {
        return null; // no meaningful empty state without an SAE
    }

    @Override
    public SaeRunState copy(SaeRunState from) {
        return from.copy();
    }

    @Override
    public SaeRunState copy(SaeRunState from, SaeRunState reuse) {
        return from.copy();
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(SaeRunState record, DataOutputView target) throws IOException {
        byte[] bytes = record.toBytes();
        target.writeInt(bytes.length);
        target.write(bytes);
    }

    @Override
    public SaeRunState deserialize(DataInputView source) throws IOException {
        byte[] bytes = new byte[source.readInt()];
        source.readFully(bytes);
        return SaeRunState.fromBytes(bytes);
    }

    @Override
    public SaeRunState deserialize(SaeRunState reuse, DataInputView source) throws IOException {
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
        return obj instanceof SaeRunStateSerializer;
    }

    @Override
    public int hashCode() {
        return SaeRunStateSerializer.class.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<SaeRunState> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Compatibility is decided by the state's own format header, so the snapshot has no configuration. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<SaeRunState> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
