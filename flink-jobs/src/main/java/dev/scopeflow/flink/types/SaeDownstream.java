package dev.scopeflow.flink.types;

import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.WindowEvaluation;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * One SAE's model-in-the-loop sums ({@link DownstreamSums}) over some windows of a run: per window as decoded
 * from the evaluations topic ({@code windows} = 1) and, summed in keyed state per (run, SAE), as a snapshot
 * versioned by windows counted (a replay of the same windows writes the same version). Flink POJO; also the
 * downstream sink's committable.
 */
public class SaeDownstream implements Total<SaeDownstream> {
    public String runId;
    public String saeId;
    public String site;

    public long windows;
    public long nPredictions;
    public double sumCeClean;
    public double sumCeSae;
    public double sumCeZero;
    public double sumKlSae;
    public double sumKlZero;

    public SaeDownstream() {}

    public SaeDownstream(String runId, String saeId, String site, long windows, DownstreamSums sums) {
        this.runId = runId;
        this.saeId = saeId;
        this.site = site;
        this.windows = windows;
        this.nPredictions = sums.nPredictions();
        this.sumCeClean = sums.sumCeClean();
        this.sumCeSae = sums.sumCeSae();
        this.sumCeZero = sums.sumCeZero();
        this.sumKlSae = sums.sumKlSae();
        this.sumKlZero = sums.sumKlZero();
    }

    /** One window's sums for one SAE. */
    public static SaeDownstream of(WindowEvaluation window, WindowEvaluation.Entry sae) {
        return new SaeDownstream(window.runId(), sae.saeId(), sae.site().toString(), 1, sae.sums());
    }

    public DownstreamSums sums() {
        return new DownstreamSums(nPredictions, sumCeClean, sumCeSae, sumCeZero, sumKlSae, sumKlZero);
    }

    @Override
    public SaeDownstream plus(SaeDownstream delta) {
        return new SaeDownstream(runId, saeId, site, windows + delta.windows, sums().plus(delta.sums()));
    }

    @Override
    public String key() {
        // No run id contains '/' (RunId), so the pair stays unambiguous although SAE ids may.
        return runId + "/" + saeId;
    }

    @Override
    public long version() {
        return windows;
    }

    /** Committable serializer. */
    public static final class Serializer implements SimpleVersionedSerializer<SaeDownstream>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(SaeDownstream d) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(96);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeUTF(d.runId);
                out.writeUTF(d.saeId);
                out.writeUTF(d.site);
                out.writeLong(d.windows);
                out.writeLong(d.nPredictions);
                out.writeDouble(d.sumCeClean);
                out.writeDouble(d.sumCeSae);
                out.writeDouble(d.sumCeZero);
                out.writeDouble(d.sumKlSae);
                out.writeDouble(d.sumKlZero);
            }
            return bytes.toByteArray();
        }

        @Override
        public SaeDownstream deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) {
                throw new IOException("unknown SaeDownstream version " + version + " (this build reads 1)");
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(serialized))) {
                String runId = in.readUTF();
                String saeId = in.readUTF();
                String site = in.readUTF();
                long windows = in.readLong();
                DownstreamSums sums = new DownstreamSums(
                        in.readLong(),
                        in.readDouble(),
                        in.readDouble(),
                        in.readDouble(),
                        in.readDouble(),
                        in.readDouble());
                return new SaeDownstream(runId, saeId, site, windows, sums);
            }
        }
    }
}
