package dev.scopeflow.flink.types;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * How far a run has got, as the job counts it: Kafka records read, tokens counted (after excluding special
 * tokens) and records sent to the dead-letter topic. Used both as a per-record delta and, summed in keyed
 * state, as a snapshot versioned by {@link #version()}. Flink POJO; also the progress sink's committable.
 */
public class RunProgress implements VersionedSnapshot {
    public String runId;
    public long records;
    public long tokens;
    public long deadLetters;

    public RunProgress() {}

    public RunProgress(String runId, long records, long tokens, long deadLetters) {
        this.runId = runId;
        this.records = records;
        this.tokens = tokens;
        this.deadLetters = deadLetters;
    }

    public RunProgress plus(RunProgress delta) {
        return new RunProgress(runId, records + delta.records, tokens + delta.tokens, deadLetters + delta.deadLetters);
    }

    @Override
    public String key() {
        return runId;
    }

    /**
     * Records read plus tokens counted: grows with every record, and of two views of the same records the one
     * that counted more tokens wins, so a rerun whose records were all dead-lettered never replaces a finished
     * run's row (issue 9), while a replay of the same job writes the same version.
     */
    @Override
    public long version() {
        return records + tokens;
    }

    /** Committable serializer. */
    public static final class Serializer implements SimpleVersionedSerializer<RunProgress>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(RunProgress p) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeUTF(p.runId);
                out.writeLong(p.records);
                out.writeLong(p.tokens);
                out.writeLong(p.deadLetters);
            }
            return bytes.toByteArray();
        }

        @Override
        public RunProgress deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("unknown RunProgress version " + version + " (this build reads 1)");
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                return new RunProgress(in.readUTF(), in.readLong(), in.readLong(), in.readLong());
            }
        }
    }
}
