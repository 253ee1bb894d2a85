package dev.scopeflow.flink;

import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** Serializes committables (snapshots waiting for their checkpoint to complete) into Flink's checkpoints. */
public final class SaeStatsSnapshotSerializer implements SimpleVersionedSerializer<SaeStatsSnapshot> {

    private static final int VERSION = 1;

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(SaeStatsSnapshot s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.featureStats.length + 128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(s.runId);
            out.writeUTF(s.saeId);
            out.writeLong(s.version);
            out.writeInt(s.featureStats.length);
            out.write(s.featureStats);
        }
        return bytes.toByteArray();
    }

    @Override
    public SaeStatsSnapshot deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException("unknown SaeStatsSnapshot serializer version " + version + " (this build reads " + VERSION + ")");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
            SaeStatsSnapshot s = new SaeStatsSnapshot();
            s.runId = in.readUTF();
            s.saeId = in.readUTF();
            s.version = in.readLong();
            s.featureStats = new byte[in.readInt()];
            in.readFully(s.featureStats);
            return s;
        }
    }
}
