package dev.scopeflow.flink.types;

import dev.scopeflow.schemas.results.SiteProgressRows;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * How far a run has got at one site, as the job counts it: Kafka records read, tokens counted (after excluding
 * special tokens) and records sent to the dead-letter topic. Keyed by (run, site) because a job counts only the
 * sites its SAEs read, and jobs of one run at other sites must not replace its numbers (issue 9). Used both as a
 * per-record delta and, summed in keyed state, as a snapshot versioned by {@link #version()}. Flink POJO; also
 * the progress sink's committable.
 */
public class RunProgress implements Total<RunProgress> {
    public String runId;
    /** {@code res.20}, or {@link dev.scopeflow.schemas.results.SiteProgressRows#NO_SITE} for undecodable records. */
    public String site;

    public long records;
    public long tokens;
    public long deadLetters;

    public RunProgress() {}

    public RunProgress(String runId, String site, long records, long tokens, long deadLetters) {
        this.runId = runId;
        this.site = site;
        this.records = records;
        this.tokens = tokens;
        this.deadLetters = deadLetters;
    }

    @Override
    public RunProgress plus(RunProgress delta) {
        return new RunProgress(
                runId, site, records + delta.records, tokens + delta.tokens, deadLetters + delta.deadLetters);
    }

    @Override
    public String key() {
        // '/' appears in no site (res.20, att.3): the pair stays unambiguous.
        return site + "/" + runId;
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
            return 2;
        }

        @Override
        public byte[] serialize(RunProgress p) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeUTF(p.runId);
                out.writeUTF(p.site);
                out.writeLong(p.records);
                out.writeLong(p.tokens);
                out.writeLong(p.deadLetters);
            }
            return bytes.toByteArray();
        }

        @Override
        public RunProgress deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1 && version != 2) {
                throw new IOException("unknown RunProgress version " + version + " (this build reads 1 and 2)");
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                String runId = in.readUTF();
                // Version 1 committables (pending at an upgrade) were per run; their site is unknown.
                String site = version == 1 ? SiteProgressRows.NO_SITE : in.readUTF();
                return new RunProgress(runId, site, in.readLong(), in.readLong(), in.readLong());
            }
        }
    }
}
