package dev.scopeflow.benchmarks;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.model.JumpReluSae;
import dev.scopeflow.sae.stats.ActivationHistogram;
import dev.scopeflow.sae.stats.FeatureStats;
import dev.scopeflow.sae.stats.IntervalSamples;
import dev.scopeflow.sae.stats.ReconstructionStats;
import dev.scopeflow.sae.stats.TopExamples;
import dev.scopeflow.schemas.ComputeDevice;
import java.nio.FloatBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Encode and statistics of a Gemma-2-2B-shaped 16k SAE (d_in 2304 × d_sae 16384) on one batch of
 * {@link #ROWS} tokens, against a plain f32 matmul {@code [ROWS x 2304] @ [2304 x 16384]} on the same libtorch,
 * all in tokens/s. Weights are Gaussian with JumpReLU thresholds placed for an L0 of about 64 (Gemma Scope 16k
 * SAEs have L0 ~20-150), so decode and the accumulators see a realistic number of active features.
 *
 * <p>{@link #device} ({@code -p device=cuda}) puts both the yardstick and the SAE's encoder on that device; each
 * timed call ends with values back on the host, so a GPU's asynchronous launches are waited for.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EncodeBenchmark {

    static final int D_IN = 2304;
    static final int D_SAE = 16384;
    static final int ROWS = 1024;
    /** P(N(0,1) > 2.66) = 0.0039: ~64 of 16384 features active per token. */
    static final float THRESHOLD = 2.66f;

    /** {@code --device}: cpu, cuda or auto. */
    @Param({"cpu"})
    public String device;

    /** Shapes: the Gemma-2-2B 16k SAE for JMH; {@link PairedRatio} may shrink them for a dry run. */
    int dIn = D_IN;

    int dSae = D_SAE;
    int rows = ROWS;

    private float[] x;
    private long[] docs;
    private int[] positions;
    private JumpReluSae sae;
    private NDManager manager;
    private NDArray xTensor;
    private NDArray wTensor;
    private FeatureStats features;
    private ReconstructionStats reconstruction;
    private TopExamples top;
    private ActivationHistogram histogram;
    private IntervalSamples intervals;

    @Setup(Level.Trial)
    public void setUp() {
        ComputeDevice on = ComputeDevice.parse(device);
        Random random = new Random(42);
        float[] wEnc = gaussian(random, dIn * dSae, 1 / Math.sqrt(dIn));
        x = gaussian(random, rows * dIn, 1);
        docs = new long[rows];
        positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            docs[r] = r / 128;
            positions[r] = r % 128;
        }
        float[] threshold = new float[dSae];
        java.util.Arrays.fill(threshold, THRESHOLD);
        sae = JumpReluSae.builder(dIn, dSae)
                .optBackend(MatmulBackend.TORCH)
                .optDevice(on)
                .setWEnc(wEnc)
                .setBEnc(new float[dSae])
                .setThreshold(threshold)
                .setWDec(gaussian(random, dSae * dIn, 1 / Math.sqrt(64)))
                .setBDec(new float[dIn])
                .build();
        // the yardstick on the device the encoder landed on (AUTO resolved the same way)
        Engine engine = Engine.getEngine("PyTorch");
        manager = NDManager.newBaseManager(
                on.usesGpu(engine.getGpuCount(), "PyTorch " + engine.getVersion()) ? Device.gpu() : Device.cpu(),
                "PyTorch");
        xTensor = manager.create(FloatBuffer.wrap(x), new Shape(rows, dIn));
        wTensor = manager.create(FloatBuffer.wrap(wEnc), new Shape(dIn, dSae));
        features = new FeatureStats(dSae);
        reconstruction = new ReconstructionStats(dIn);
        top = new TopExamples(dSae);
        histogram = new ActivationHistogram(dSae);
        intervals = new IntervalSamples(dSae);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sae.close();
        manager.close();
    }

    /**
     * The yardstick: libtorch sgemm of the same shape, operands already in the device's memory, no bias; one value
     * comes back to the host so that a GPU's kernel is waited for.
     */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public float matmul() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray out = xTensor.matMul(wTensor);
            out.attach(scope);
            return out.getFloat(0, 0);
        }
    }

    /** Dense Java input to sparse codes: copy in, sgemm + bias and JumpReLU selection in libtorch, active out, CSR. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public SparseCodes encode() {
        return sae.encode(x, rows);
    }

    /** Encode, sparse decode, FeatureStats, ReconstructionStats and TopExamples. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public SparseCodes encodeAndStats() {
        SparseCodes codes = sae.encode(x, rows);
        features.addAll(codes);
        top.addAll(codes, docs, positions);
        reconstruction.addAll(x, sae.decode(codes), codes);
        return codes;
    }

    /** As {@link #encodeAndStats} plus the histogram and interval samples: what StatsRun does per batch. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public SparseCodes encodeAndAllStats() {
        SparseCodes codes = sae.encode(x, rows);
        features.addAll(codes);
        top.addAll(codes, docs, positions);
        histogram.addAll(codes);
        intervals.addAll(codes, docs, positions);
        reconstruction.addAll(x, sae.decode(codes), codes);
        return codes;
    }

    static float[] gaussian(Random random, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextGaussian() * scale);
        }
        return a;
    }
}
