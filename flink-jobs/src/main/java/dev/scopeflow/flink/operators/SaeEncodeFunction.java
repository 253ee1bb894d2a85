package dev.scopeflow.flink.operators;

import dev.scopeflow.flink.config.FeatureStatsJobConfig;
import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.flink.types.DeadLetter;
import dev.scopeflow.flink.types.RawKafkaRecord;
import dev.scopeflow.flink.types.RunProgress;
import dev.scopeflow.flink.types.SaeCodesBatch;
import dev.scopeflow.sae.kernel.LibTorch;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.model.SaeLoader;
import dev.scopeflow.sae.model.SparseAutoencoder;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.sae.stats.TokenFilter;
import dev.scopeflow.schemas.ActivationBatch;
import dev.scopeflow.schemas.ActivationBatchCodec;
import dev.scopeflow.schemas.InvalidBatchException;
import dev.scopeflow.schemas.NonFiniteValue;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.results.SiteProgressRows;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes an Arrow activation batch and encodes its counted rows with every SAE registered for the batch's
 * site, emitting the sparse codes, where each row came from, and the batch's reconstruction statistics.
 * Records that cannot be decoded, whose width does not match an SAE of their site, or whose counted rows hold
 * a NaN or ±Infinity, go to the {@link #DEAD_LETTERS} side output and the job keeps going; every record of the
 * run at a site its SAEs read also yields a {@link #PROGRESS} delta for (run, site). An undecodable record names
 * no run, so its delta goes to {@link SiteProgressRows#UNDECODABLE_RUN_ID}, never to this job's run. Batches of other runs or of sites no SAE reads are skipped (counted in metrics).
 * The SAE math lives in sae-operators; this class only adapts.
 */
public final class SaeEncodeFunction extends ProcessFunction<RawKafkaRecord, SaeCodesBatch> {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(SaeEncodeFunction.class);

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));
    public static final OutputTag<RunProgress> PROGRESS =
            new OutputTag<>("run-progress", TypeInformation.of(RunProgress.class));

    private final FeatureStatsJobConfig config;

    private transient ActivationBatchCodec codec;
    private transient TokenFilter tokenFilter;
    private transient Map<Site, List<LoadedSae>> saesBySite;
    private transient Counter deadLetters;
    private transient Counter skippedBatches;
    private transient Counter countedTokens;

    public SaeEncodeFunction(FeatureStatsJobConfig config) {
        this.config = config;
    }

    private record LoadedSae(String saeId, SparseAutoencoder sae) {}

    @Override
    public void open(OpenContext openContext) throws Exception {
        codec = new ActivationBatchCodec();
        tokenFilter = config.tokenFilter();
        saesBySite = new HashMap<>();
        MatmulBackend kernel = openKernel(getRuntimeContext());
        for (SaeSpec spec : config.saes()) {
            // A Gemma Scope params.npz (or a directory holding one) or a SAELens directory.
            SparseAutoencoder sae = SaeLoader.load(Path.of(spec.path()), kernel, config.device());
            saesBySite.computeIfAbsent(spec.site(), s -> new ArrayList<>()).add(new LoadedSae(spec.saeId(), sae));
        }
        deadLetters = getRuntimeContext().getMetricGroup().counter("deadLetters");
        skippedBatches = getRuntimeContext().getMetricGroup().counter("skippedBatches");
        countedTokens = getRuntimeContext().getMetricGroup().counter("countedTokens");
    }

    /**
     * Resolves the configured kernel here, on the task manager (which may differ from the submitting client), and for
     * TORCH sets libtorch's intra-op threads on this task thread, the one that encodes. libtorch keeps one count per
     * process, and every encode subtask of the task manager computes the same one.
     */
    private MatmulBackend openKernel(RuntimeContext context) {
        String subtask = context.getTaskInfo().getTaskNameWithSubtasks();
        if (config.backend() == MatmulBackend.JAVA) {
            LOG.info("{}: SAE encode kernel JAVA (requested)", subtask);
            return MatmulBackend.JAVA;
        }
        LibTorch.Availability torch = LibTorch.availability(); // probed once per JVM
        MatmulBackend kernel;
        try {
            kernel = config.backend().resolve(torch);
        } catch (IllegalStateException e) {
            throw new IllegalStateException("--backend " + config.backend() + ": " + e.getMessage(), e);
        }
        String why = (config.backend() == MatmulBackend.AUTO ? "auto: " : "requested: ") + torch.detail();
        if (kernel == MatmulBackend.JAVA) {
            LOG.info("{}: SAE encode kernel JAVA ({})", subtask, why);
            return kernel;
        }
        int processors = Runtime.getRuntime().availableProcessors();
        int subtasks = encodeSubtasksOnThisTaskManager(context);
        int threads = config.torchThreadsPerSubtask(processors, subtasks);
        LibTorch.setIntraOpThreads(threads);
        LOG.info(
                "{}: SAE encode kernel TORCH ({}), {} libtorch intra-op thread(s) per subtask ({})",
                subtask,
                why,
                threads,
                config.torchThreads() > 0
                        ? "--torch-threads"
                        : (config.taskManagerCores() > 0
                                        ? config.taskManagerCores() + " cores (--task-manager-cores)"
                                        : processors + " available processors")
                                + " / " + subtasks + " encode subtask(s) on this task manager");
        return kernel;
    }

    /**
     * At most one encode subtask per slot: the task manager's slots, or fewer when the operator's parallelism is
     * lower. (A MiniCluster with several task managers in one JVM is counted per task manager.)
     */
    private static int encodeSubtasksOnThisTaskManager(RuntimeContext context) {
        int parallelism = context.getTaskInfo().getNumberOfParallelSubtasks();
        if (context instanceof StreamingRuntimeContext streaming) {
            int slots = streaming.getTaskManagerRuntimeInfo().getConfiguration().get(TaskManagerOptions.NUM_TASK_SLOTS);
            return Math.max(1, Math.min(slots, parallelism));
        }
        return parallelism;
    }

    @Override
    public void processElement(RawKafkaRecord record, Context ctx, Collector<SaeCodesBatch> out) {
        ActivationBatch batch;
        try {
            batch = codec.decode(record.value);
        } catch (InvalidBatchException e) {
            deadLetter(
                    ctx,
                    record,
                    SiteProgressRows.UNDECODABLE_RUN_ID,
                    SiteProgressRows.NO_SITE,
                    "cannot decode activation batch: " + e.getMessage());
            return;
        }
        List<LoadedSae> saes = saesBySite.get(batch.site());
        if (!batch.runId().equals(config.runId()) || saes == null) {
            skippedBatches.inc();
            return;
        }
        for (LoadedSae loaded : saes) {
            if (loaded.sae().dIn() != batch.width()) {
                deadLetter(
                        ctx,
                        record,
                        config.runId(),
                        batch.site().toString(),
                        "batch width " + batch.width() + " at site " + batch.site() + " does not match d_in "
                                + loaded.sae().dIn() + " of SAE " + loaded.saeId());
                return;
            }
        }
        int[] counted = tokenFilter.countedRows(batch);
        float[] x = gather(batch, counted);
        // Checked here, not left to the SAE: a NaN would silently poison the run's reconstruction sums, an
        // Infinity makes the encoder throw, and a thrown exception restarts the job on the same record.
        Optional<NonFiniteValue> bad = NonFiniteValue.first(x, 0, counted.length, batch.width());
        if (bad.isPresent()) {
            int row = counted[bad.get().row()];
            deadLetter(
                    ctx,
                    record,
                    config.runId(),
                    batch.site().toString(),
                    "non-finite activation " + bad.get().value() + " at row " + row + " (doc " + batch.docId(row)
                            + ", position " + batch.position(row) + "), dimension "
                            + bad.get().dimension()
                            + " of site " + batch.site());
            return;
        }
        long[] docIds = new long[counted.length];
        int[] positions = new int[counted.length];
        int[] tokenIds = new int[counted.length];
        for (int i = 0; i < counted.length; i++) {
            docIds[i] = batch.docId(counted[i]);
            positions[i] = batch.position(counted[i]);
            tokenIds[i] = batch.tokenId(counted[i]);
        }
        for (LoadedSae loaded : saes) {
            SparseCodes codes = loaded.sae().encode(x, counted.length);
            ReconstructionStats reconstruction = new ReconstructionStats(batch.width());
            reconstruction.addAll(x, loaded.sae().decode(codes), codes);
            out.collect(new SaeCodesBatch(
                    config.runId(), loaded.saeId(), codes, docIds, positions, tokenIds, reconstruction));
        }
        countedTokens.inc(counted.length);
        ctx.output(PROGRESS, new RunProgress(config.runId(), batch.site().toString(), 1, counted.length, 0));
    }

    /** The given rows of the batch, packed row-major. */
    private static float[] gather(ActivationBatch batch, int[] rows) {
        int width = batch.width();
        if (rows.length == batch.rows()) {
            return batch.values();
        }
        float[] x = new float[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(batch.values(), rows[i] * width, x, i * width, width);
        }
        return x;
    }

    private void deadLetter(Context ctx, RawKafkaRecord record, String runId, String site, String reason) {
        deadLetters.inc();
        ctx.output(DEAD_LETTERS, new DeadLetter(record, record.coordinates() + ": " + reason));
        ctx.output(PROGRESS, new RunProgress(runId, site, 1, 0, 1));
    }

    @Override
    public void close() {
        if (codec != null) {
            codec.close();
        }
        if (saesBySite != null) {
            saesBySite
                    .values()
                    .forEach(saes -> saes.forEach(loaded -> loaded.sae().close()));
        }
    }
}
