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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes an Arrow activation batch and encodes its counted rows with every SAE registered for the batch's
 * site, emitting the sparse codes, where each row came from, and the batch's reconstruction statistics.
 * Records that cannot be decoded, whose width does not match an SAE of their site, or whose counted rows hold
 * a NaN or ±Infinity, go to the {@link #DEAD_LETTERS} side output and the job keeps going; every record of the
 * run at a site its SAEs read also yields a {@link #PROGRESS} delta for (run, site). An undecodable record names
 * no run, so its delta goes to {@link SiteProgressRows#UNDECODABLE_RUN_ID}, never to this job's run. Batches of other
 * runs or of sites no SAE reads are skipped (counted in metrics). The SAE math lives in sae-operators; this class
 * only adapts.
 *
 * <p>Accepted records are encoded together, per site, once they hold {@link #DEFAULT_GROUP_ROWS} counted rows: a
 * producer's record is ~227 rows (1 MiB of bf16 at d_in 2304), and the encode's sgemm repacks the whole 2304 × 16384
 * weight on every call, 13 % of the job's encode time at that size. Each record's codes, reconstruction statistics
 * and progress delta are emitted exactly as if it had been encoded alone (a row's bits do not depend on the other
 * rows of its call: EncoderKernelTest), in arrival order, and nothing waits across a checkpoint or the end of the
 * input: the pending records are encoded before each checkpoint barrier and before the end-of-input watermark.
 */
public final class SaeEncodeOperator extends AbstractStreamOperator<SaeCodesBatch>
        implements OneInputStreamOperator<RawKafkaRecord, SaeCodesBatch>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(SaeEncodeOperator.class);

    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));
    public static final OutputTag<RunProgress> PROGRESS =
            new OutputTag<>("run-progress", TypeInformation.of(RunProgress.class));

    /** The TORCH kernel's block (TorchMatmul.MAX_ROWS): one sgemm call per full group. */
    public static final int DEFAULT_GROUP_ROWS = 1024;

    private final FeatureStatsJobConfig config;
    private final int groupRows;

    private transient ActivationBatchCodec codec;
    private transient TokenFilter tokenFilter;
    private transient Map<Site, List<LoadedSae>> saesBySite;
    private transient Counter deadLetters;
    private transient Counter skippedBatches;
    private transient Counter countedTokens;
    private transient Map<Site, Group> pending;

    public SaeEncodeOperator(FeatureStatsJobConfig config) {
        this(config, DEFAULT_GROUP_ROWS);
    }

    /** {@code groupRows} 1 encodes every record on arrival. */
    SaeEncodeOperator(FeatureStatsJobConfig config, int groupRows) {
        if (groupRows < 1) {
            throw new IllegalArgumentException("groupRows must be >= 1, got " + groupRows);
        }
        this.config = config;
        this.groupRows = groupRows;
    }

    private record LoadedSae(String saeId, SparseAutoencoder sae) {}

    /** An accepted record's counted rows: values row-major, and where each row came from. */
    private record Accepted(float[] x, long[] docIds, int[] positions, int[] tokenIds) {
        int rows() {
            return docIds.length;
        }
    }

    /** The accepted records of one site not encoded yet, in arrival order. */
    private static final class Group {
        final List<Accepted> records = new ArrayList<>();
        int rows;
    }

    @Override
    public void open() throws Exception {
        super.open();
        pending = new LinkedHashMap<>();
        codec = new ActivationBatchCodec();
        tokenFilter = config.tokenFilter();
        saesBySite = new HashMap<>();
        MatmulBackend kernel = openKernel(getRuntimeContext());
        for (SaeSpec spec : config.saes()) {
            // A Gemma Scope params.npz (or a directory holding one) or a SAELens directory.
            SparseAutoencoder sae = SaeLoader.load(Path.of(spec.path()), kernel, config.device());
            saesBySite.computeIfAbsent(spec.site(), s -> new ArrayList<>()).add(new LoadedSae(spec.saeId(), sae));
        }
        deadLetters = getMetricGroup().counter("deadLetters");
        skippedBatches = getMetricGroup().counter("skippedBatches");
        countedTokens = getMetricGroup().counter("countedTokens");
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
    public void processElement(StreamRecord<RawKafkaRecord> element) {
        RawKafkaRecord record = element.getValue();
        ActivationBatch batch;
        try {
            batch = codec.decode(record.value);
        } catch (InvalidBatchException e) {
            deadLetter(
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
        Group group = pending.computeIfAbsent(batch.site(), s -> new Group());
        group.records.add(new Accepted(x, docIds, positions, tokenIds));
        group.rows += counted.length;
        if (group.rows >= groupRows) {
            encode(batch.site(), saes, group);
            pending.remove(batch.site());
        }
    }

    /**
     * Encodes the group's rows in one call per SAE, then emits each record's codes (one batch per SAE) and progress
     * delta in arrival order, as encoding each record alone would have.
     */
    private void encode(Site site, List<LoadedSae> saes, Group group) {
        int width = saes.get(0).sae().dIn();
        float[] x = new float[group.rows * width];
        int offset = 0;
        for (Accepted a : group.records) {
            System.arraycopy(a.x(), 0, x, offset * width, a.rows() * width);
            offset += a.rows();
        }
        List<SparseCodes> codes = new ArrayList<>();
        List<float[]> reconstructed = new ArrayList<>();
        for (LoadedSae loaded : saes) {
            SparseCodes c = loaded.sae().encode(x, group.rows);
            codes.add(c);
            reconstructed.add(loaded.sae().decode(c));
        }
        int first = 0;
        for (Accepted a : group.records) {
            for (int s = 0; s < saes.size(); s++) {
                SparseCodes c = codes.get(s);
                ReconstructionStats reconstruction = new ReconstructionStats(width);
                for (int r = first; r < first + a.rows(); r++) {
                    reconstruction.addRow(x, r * width, reconstructed.get(s), r * width, c.l0(r));
                }
                output.collect(new StreamRecord<>(new SaeCodesBatch(
                        config.runId(),
                        saes.get(s).saeId(),
                        c,
                        first,
                        first + a.rows(),
                        a.docIds(),
                        a.positions(),
                        a.tokenIds(),
                        reconstruction)));
            }
            countedTokens.inc(a.rows());
            output.collect(
                    PROGRESS, new StreamRecord<>(new RunProgress(config.runId(), site.toString(), 1, a.rows(), 0)));
            first += a.rows();
        }
    }

    /** Encodes every pending record: before a checkpoint barrier, the end-of-input watermark, or the end. */
    private void encodePending() {
        for (Map.Entry<Site, Group> e : pending.entrySet()) {
            encode(e.getKey(), saesBySite.get(e.getKey()), e.getValue());
        }
        pending.clear();
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        encodePending(); // the records before the barrier are in this checkpoint: so are their codes
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        // The job's only watermark is the end of input's, which fires the statistics' final timers downstream.
        encodePending();
        super.processWatermark(mark);
    }

    @Override
    public void endInput() {
        encodePending();
    }

    @Override
    public void finish() throws Exception {
        encodePending();
        super.finish();
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

    private void deadLetter(RawKafkaRecord record, String runId, String site, String reason) {
        deadLetters.inc();
        output.collect(DEAD_LETTERS, new StreamRecord<>(new DeadLetter(record, record.coordinates() + ": " + reason)));
        output.collect(PROGRESS, new StreamRecord<>(new RunProgress(runId, site, 1, 0, 1)));
    }

    @Override
    public void close() throws Exception {
        super.close();
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
