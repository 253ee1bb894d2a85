package dev.scopeflow.flink.types;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * All statistics of one SAE in one run at a point of the stream, as {@link SaeRunState}'s binary form, with
 * {@code version} = tokens counted so far. Flink POJO; also the statistics sink's committable.
 */
public class SaeStatsSnapshot implements VersionedSnapshot {
    public String runId;
    public String saeId;
    public long version;
    /** {@link SaeRunState#toBytes()}. */
    public byte[] state;

    public SaeStatsSnapshot() {}

    public SaeStatsSnapshot(SaeRunState state) {
        this.runId = state.runId();
        this.saeId = state.saeId();
        this.version = state.tokens();
        this.state = state.toBytes();
    }

    @Override
    public String key() {
        return SaeCodesBatch.statsKey(runId, saeId);
    }

    @Override
    public long version() {
        return version;
    }

    /** Committable serializer: the snapshot's fields, versioned. */
    public static final class Serializer implements SimpleVersionedSerializer<SaeStatsSnapshot>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(SaeStatsSnapshot s) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.state.length + 64);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeUTF(s.runId);
                out.writeUTF(s.saeId);
                out.writeLong(s.version);
                out.writeInt(s.state.length);
                out.write(s.state);
            }
            return bytes.toByteArray();
        }

        @Override
        public SaeStatsSnapshot deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("unknown SaeStatsSnapshot version " + version + " (this build reads 1)");
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                SaeStatsSnapshot s = new SaeStatsSnapshot();
                s.runId = in.readUTF();
                s.saeId = in.readUTF();
                s.version = in.readLong();
                s.state = new byte[in.readInt()];
                in.readFully(s.state);
                return s;
            }
        }
    }
}
