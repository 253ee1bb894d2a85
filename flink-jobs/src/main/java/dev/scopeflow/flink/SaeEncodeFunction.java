package dev.scopeflow.flink;

import dev.scopeflow.sae.JumpReluSae;
import dev.scopeflow.sae.SparseAutoencoder;
import dev.scopeflow.sae.SparseCodes;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationBatchCodec;
import dev.scopeflow.schemas.InvalidBatchException;
import dev.scopeflow.schemas.Site;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes an Arrow activation batch and encodes its counted rows with every SAE registered for the batch's
 * site. Records that cannot be decoded, or whose width does not match an SAE of their site, go to the
 * {@link #DEAD_LETTERS} side output; the job keeps going. Batches of other runs or of sites no SAE reads
 * are skipped (counted in metrics). The SAE math lives in sae-operators; this class only adapts.
 */
public final class SaeEncodeFunction extends ProcessFunction<RawActivationRecord, SaeCodesBatch> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

    private final FeatureStatsJobConfig config;

    private transient ActivationBatchCodec codec;
    private transient Map<Site, List<LoadedSae>> saesBySite;
    private transient Counter deadLetters;
    private transient Counter skippedBatches;
    private transient Counter countedTokens;

    public SaeEncodeFunction(FeatureStatsJobConfig config) {
        this.config = config;
    }

    private record LoadedSae(String saeId, SparseAutoencoder sae) {
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        codec = new ActivationBatchCodec();
        saesBySite = new HashMap<>();
        for (SaeSpec spec : config.saes()) {
            SparseAutoencoder sae = JumpReluSae.loadGemmaScope(Path.of(spec.path()));
            saesBySite.computeIfAbsent(spec.site(), s -> new ArrayList<>()).add(new LoadedSae(spec.saeId(), sae));
        }
        deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
        skippedBatches = getRuntimeContext().getMetricGroup().counter("skippedBatches");
        countedTokens = getRuntimeContext().getMetricGroup().counter("countedTokens");
    }

    @Override
    public void processElement(RawActivationRecord record, Context ctx, Collector<SaeCodesBatch> out) {
        ActivationBatch batch;
        try {
            batch = codec.decode(record.value);
        } catch (InvalidBatchException e) {
            deadLetter(ctx, record, "cannot decode activation batch: " + e.getMessage());
            return;
        }
        List<LoadedSae> saes = saesBySite.get(batch.site());
        if (!batch.runId().equals(config.runId()) || saes == null) {
            skippedBatches.inc();
            return;
        }
        for (LoadedSae loaded : saes) {
            if (loaded.sae().dIn() != batch.width()) {
                deadLetter(ctx, record, "batch width " + batch.width() + " at site " + batch.site()
                        + " does not match d_in " + loaded.sae().dIn() + " of SAE " + loaded.saeId());
                return;
            }
        }
        float[] counted = countedRows(batch);
        int rows = counted.length / batch.width();
        countedTokens.inc(rows);
        for (LoadedSae loaded : saes) {
            SparseCodes codes = loaded.sae().encode(counted, rows);
            out.collect(toCodesBatch(loaded, codes));
        }
    }

    /** The activation rows whose token is not excluded (BOS, pad, EOS by default), packed row-major. */
    private float[] countedRows(ActivationBatch batch) {
        int width = batch.width();
        int keep = 0;
        for (int r = 0; r < batch.rows(); r++) {
            if (!config.isExcluded(batch.tokenId(r))) {
                keep++;
            }
        }
        if (keep == batch.rows()) {
            return batch.values();
        }
        float[] counted = new float[keep * width];
        int k = 0;
        for (int r = 0; r < batch.rows(); r++) {
            if (!config.isExcluded(batch.tokenId(r))) {
                System.arraycopy(batch.values(), r * width, counted, k * width, width);
                k++;
            }
        }
        return counted;
    }

    private SaeCodesBatch toCodesBatch(LoadedSae loaded, SparseCodes codes) {
        int rows = codes.rows();
        int[] rowStart = new int[rows + 1];
        int nnz = rows == 0 ? 0 : codes.end(rows - 1);
        int[] features = new int[nnz];
        float[] values = new float[nnz];
        for (int r = 0; r < rows; r++) {
            rowStart[r] = codes.start(r);
            for (int k = codes.start(r); k < codes.end(r); k++) {
                features[k] = codes.feature(k);
                values[k] = codes.value(k);
            }
        }
        rowStart[rows] = nnz;
        return new SaeCodesBatch(config.runId(), loaded.saeId(), loaded.sae().dSae(), rowStart, features, values);
    }

    private void deadLetter(Context ctx, RawActivationRecord record, String reason) {
        deadLetters.inc();
        ctx.output(DEAD_LETTERS, new DeadLetter(record, record.coordinates() + ": " + reason));
    }

    @Override
    public void close() {
        if (codec != null) {
            codec.close();
        }
    }
}
