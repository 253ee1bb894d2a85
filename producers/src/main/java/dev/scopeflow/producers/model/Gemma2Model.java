package dev.scopeflow.producers.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Gemma 2 ({@code Gemma2ForCausalLM}, HF eager attention) in float32 on DJL's PyTorch engine, with capture of
 * Gemma Scope sites. Semantics follow shared/ARCHITECTURE.md §2: embeddings × sqrt(hidden), (1 + w) RMSNorm,
 * GQA, rotate-half RoPE, query_pre_attn_scalar^-0.5 scaling, attention softcap before masking, sliding window on
 * the config's sliding layers, GeGLU with tanh GELU, four norms per layer, final norm, tied head, final softcap.
 *
 * <p>Only layers up to {@link LoadOptions#lastLayer()} are loaded, and a forward stops after the last layer a
 * requested site needs (unless logits are asked for). Not thread-safe: one forward at a time.
 */
public final class Gemma2Model implements AutoCloseable {

    private static final String PREFIX = "model.";

    /** Logits per head chunk of an evaluation: 32 Mi float32 (128 MiB), 131 positions of a 256000 vocabulary. */
    static final int HEAD_CHUNK_VALUES = 1 << 25;

    private final Gemma2Config config;
    private final NDManager manager;
    private final int loadedLayers;
    private final NDArray embedding;
    private final NDArray finalNormScale;
    private final List<Layer> layers;
    private final NDArray ropeCos;
    private final NDArray ropeSin;
    private final int ropeLength;

    /** Weights of one decoder layer; norm weights are stored as (1 + w), q/k/v and gate/up stacked. */
    private record Layer(
            NDArray inputNorm,
            NDArray qkv,
            NDArray o,
            NDArray postAttnNorm,
            NDArray preFfNorm,
            NDArray gateUp,
            NDArray down,
            NDArray postFfNorm) {}

    /** What to load and where to run. */
    public record LoadOptions(ComputeDevice device, int lastLayer, int maxPositions) {
        /** All layers (logits possible) on {@code device}, RoPE tables for 8192 positions. */
        public static LoadOptions allLayers(ComputeDevice device) {
            return new LoadOptions(device, Integer.MAX_VALUE, 8192);
        }

        /** Layers 0..lastLayer only (enough for sites up to that layer; no logits). */
        public static LoadOptions upToLayer(ComputeDevice device, int lastLayer) {
            return new LoadOptions(device, lastLayer, 8192);
        }
    }

    private Gemma2Model(
            Gemma2Config config,
            NDManager manager,
            int loadedLayers,
            NDArray embedding,
            NDArray finalNormScale,
            List<Layer> layers,
            int ropeLength) {
        this.config = config;
        this.manager = manager;
        this.loadedLayers = loadedLayers;
        this.embedding = embedding;
        this.finalNormScale = finalNormScale;
        this.layers = layers;
        this.ropeLength = ropeLength;
        NDArray[] rope = ropeTables(manager, config, ropeLength);
        this.ropeCos = rope[0];
        this.ropeSin = rope[1];
    }

    /** Loads {@code config.json} and the safetensors weights of an HF checkpoint directory. */
    public static Gemma2Model load(Path checkpointDir, LoadOptions options) {
        Gemma2Config config = Gemma2Config.load(checkpointDir);
        int loadedLayers = (int) Math.min(config.numLayers(), (long) options.lastLayer() + 1);
        if (options.lastLayer() < 0) {
            throw new IllegalArgumentException("lastLayer must be >= 0, got " + options.lastLayer());
        }
        Engine engine = Engine.getEngine("PyTorch");
        Device device = options.device().usesGpu(engine.getGpuCount(), "PyTorch " + engine.getVersion())
                ? Device.gpu()
                : Device.cpu();
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(checkpointDir)) {
            WeightLoader loader = new WeightLoader(checkpoint, manager);
            int h = config.hiddenSize();
            int qOut = config.numHeads() * config.headDim();
            int kvOut = config.numKvHeads() * config.headDim();
            int inter = config.intermediateSize();
            NDArray embedding = loader.load(PREFIX + "embed_tokens.weight", config.vocabSize(), h);
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < loadedLayers; i++) {
                String p = PREFIX + "layers." + i + ".";
                layers.add(new Layer(
                        normScale(loader.load(p + "input_layernorm.weight", h)),
                        loader.loadStacked(
                                List.of(
                                        p + "self_attn.q_proj.weight",
                                        p + "self_attn.k_proj.weight",
                                        p + "self_attn.v_proj.weight"),
                                qOut + 2L * kvOut,
                                h),
                        loader.load(p + "self_attn.o_proj.weight", h, qOut),
                        normScale(loader.load(p + "post_attention_layernorm.weight", h)),
                        normScale(loader.load(p + "pre_feedforward_layernorm.weight", h)),
                        loader.loadStacked(
                                List.of(p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"), 2L * inter, h),
                        loader.load(p + "mlp.down_proj.weight", h, inter),
                        normScale(loader.load(p + "post_feedforward_layernorm.weight", h))));
            }
            NDArray finalNorm =
                    loadedLayers == config.numLayers() ? normScale(loader.load(PREFIX + "norm.weight", h)) : null;
            return new Gemma2Model(
                    config, manager, loadedLayers, embedding, finalNorm, List.copyOf(layers), options.maxPositions());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static NDArray normScale(NDArray weight) {
        // HF Gemma2RMSNorm multiplies by (1 + w) in float32.
        NDArray scale = weight.add(1f);
        weight.close();
        return scale;
    }

    /** cos/sin [positions, headDim] for rotate-half RoPE, computed like HF in float32. */
    private static NDArray[] ropeTables(NDManager manager, Gemma2Config config, int positions) {
        int d = config.headDim();
        int half = d / 2;
        float[] invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            invFreq[i] = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / d));
        }
        float[] cos = new float[positions * d];
        float[] sin = new float[positions * d];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                float angle = p * invFreq[i];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[p * d + i] = c;
                cos[p * d + i + half] = c;
                sin[p * d + i] = s;
                sin[p * d + i + half] = s;
            }
        }
        return new NDArray[] {manager.create(cos, new Shape(positions, d)), manager.create(sin, new Shape(positions, d))
        };
    }

    public Gemma2Config config() {
        return config;
    }

    public int loadedLayers() {
        return loadedLayers;
    }

    public Device device() {
        return manager.getDevice();
    }

    /** Activation width at {@code site}, after checking that the site exists in this model. */
    public int width(Site site) {
        checkSite(site);
        return config.width(site);
    }

    private void checkSite(Site site) {
        config.width(site); // the model has the site's layer
        if (site.layer() >= loadedLayers) {
            throw new IllegalArgumentException("site " + site + " needs layer " + site.layer() + ", but only layers 0.."
                    + (loadedLayers - 1) + " were loaded");
        }
    }

    /**
     * Runs the forward on {@code batch} and returns the activations at {@code sites} (and the logits when
     * {@code withLogits}). Stops after the last layer a site needs when no logits are wanted.
     */
    public CaptureResult capture(TokenBatch batch, Collection<Site> sites, boolean withLogits) {
        TreeSet<Site> wanted = siteOrder(sites);
        if (withLogits) {
            requireAllLayers("logits need");
        }
        if (wanted.isEmpty() && !withLogits) {
            throw new IllegalArgumentException("nothing to capture: no sites and no logits requested");
        }
        checkBatch(batch);
        int lastLayer = withLogits ? config.numLayers() - 1 : wanted.last().layer();
        Recorder recorder = new Recorder(wanted);
        float[] logits = null;
        try (NDManager scope = manager.newSubManager()) {
            Attention attention = attention(scope, batch);
            NDArray x = embed(scope, batch);
            for (int i = 0; i <= lastLayer; i++) {
                x = step(scope, x, i, attention, recorder, true);
            }
            if (withLogits) {
                logits = head(rmsNorm(x, finalNormScale)).toFloatArray();
            }
        }
        return recorder.result(batch, logits);
    }

    /** {@code sites} checked against the model, ordered as a forward meets them (by layer, then kind). */
    private TreeSet<Site> siteOrder(Collection<Site> sites) {
        TreeSet<Site> ordered = new TreeSet<>((a, b) -> a.layer() != b.layer()
                ? Integer.compare(a.layer(), b.layer())
                : a.kind().compareTo(b.kind()));
        ordered.addAll(sites);
        ordered.forEach(this::checkSite);
        return ordered;
    }

    /** The hook of a capturing forward: copies the value at each wanted site to the host. */
    private final class Recorder implements SiteHook {
        private final Collection<Site> wanted;
        private final Map<Site, float[]> values = new LinkedHashMap<>();
        private final Map<Site, Integer> widths = new LinkedHashMap<>();

        Recorder(Collection<Site> wanted) {
            this.wanted = wanted;
        }

        @Override
        public NDArray at(Site site, NDArray value) {
            if (wanted.contains(site)) {
                values.put(site, value.toFloatArray());
                widths.put(site, (int) value.getShape().get(2));
            }
            return value;
        }

        CaptureResult result(TokenBatch batch, float[] logits) {
            return new CaptureResult(batch.batchSize(), batch.seqLen(), values, widths, logits, config.vocabSize());
        }
    }

    /**
     * The model-in-the-loop evaluation of each splice on {@code batch}: one clean forward shared by all splices;
     * per splice, a pass with the site's value replaced by the splice's reconstruction, and per site one with it
     * replaced by 0 (shared by the splices at that site), at every real position whose token is not BOS (BOS and
     * padding keep the clean value). Both rerun only the site's layer and those after it, from the residual cached
     * on the clean pass where it enters the site's layer.
     * A counted prediction is a position t whose next position is real; cross-entropies and KL(clean ‖ other) over
     * the (softcapped) logits are summed per sequence in float64, the head taken over
     * {@link #HEAD_CHUNK_VALUES} logits at a time so no [batch, seq, vocab] array is ever held.
     */
    public SpliceEvaluation evaluate(TokenBatch batch, List<Splice> splices) {
        return evaluate(batch, splices, List.of(), HEAD_CHUNK_VALUES).evaluation();
    }

    /**
     * {@link #evaluate(TokenBatch, List)} that also captures {@code sites} on its clean forward, as
     * {@link #capture} would (what a producer that evaluates publishes): one clean forward serves both.
     */
    public CapturedEvaluation evaluateAndCapture(TokenBatch batch, List<Splice> splices, Collection<Site> sites) {
        return evaluate(batch, splices, sites, HEAD_CHUNK_VALUES);
    }

    /** The result of {@link #evaluateAndCapture}. */
    public record CapturedEvaluation(CaptureResult capture, SpliceEvaluation evaluation) {}

    /** As {@link #evaluateAndCapture} with the head over {@code headChunkValues} logits at a time. */
    CapturedEvaluation evaluate(
            TokenBatch batch, List<Splice> splices, Collection<Site> captureSites, int headChunkValues) {
        if (splices.isEmpty()) {
            throw new IllegalArgumentException("nothing to evaluate: no splices");
        }
        splices.forEach(s -> checkSite(s.site()));
        Recorder recorder = new Recorder(siteOrder(captureSites));
        requireAllLayers("an evaluation needs");
        checkBatch(batch);
        int b = batch.batchSize();
        int t = batch.seqLen();
        boolean[] spliced = new boolean[b * t];
        List<Long> countedPositions = new ArrayList<>(); // flat index s * t + p
        List<Integer> countedSequence = new ArrayList<>();
        List<Long> targets = new ArrayList<>();
        for (int s = 0; s < b; s++) {
            int[] tokens = batch.tokens(s);
            for (int p = 0; p < tokens.length; p++) {
                spliced[s * t + p] = tokens[p] != config.bosTokenId();
                if (p + 1 < tokens.length) {
                    countedPositions.add((long) s * t + p);
                    countedSequence.add(s);
                    targets.add((long) tokens[p + 1]);
                }
            }
        }
        SpliceEvaluation.Builder result = new SpliceEvaluation.Builder(splices.size(), b);
        if (targets.isEmpty()) { // single-token sequences predict nothing
            CaptureResult captured =
                    captureSites.isEmpty() ? recorder.result(batch, null) : capture(batch, captureSites, false);
            return new CapturedEvaluation(captured, result.build());
        }
        try (NDManager scope = manager.newSubManager()) {
            Attention attention = attention(scope, batch);
            long[] countedIndex =
                    countedPositions.stream().mapToLong(Long::longValue).toArray();
            // a broadcast view, not a [predictions, hidden] copy of the index
            NDArray countedRows = scope.create(countedIndex, new Shape(countedIndex.length, 1))
                    .broadcast(countedIndex.length, config.hiddenSize());
            Map<Integer, NDArray> entering = new HashMap<>();
            splices.forEach(s -> entering.put(s.site().layer(), null));
            NDArray x = embed(scope, batch);
            for (int i = 0; i < config.numLayers(); i++) {
                boolean cache = entering.containsKey(i);
                if (cache) {
                    entering.put(i, x);
                }
                x = step(scope, x, i, attention, recorder, !cache);
            }
            NDArray clean = countedFinal(x, countedRows);
            // Zeroing depends on the site only: SAEs at one site share its zero pass.
            List<Pass> passes = new ArrayList<>();
            Map<Site, Pass> zeroPasses = new HashMap<>();
            for (int i = 0; i < splices.size(); i++) {
                Site site = splices.get(i).site();
                NDArray sae = rerun(
                        scope,
                        entering,
                        attention,
                        site,
                        spliced,
                        splices.get(i).replacement());
                passes.add(new Pass(countedFinal(sae, countedRows), new ArrayList<>(List.of(i)), false));
                Pass zero = zeroPasses.get(site);
                if (zero == null) {
                    NDArray zeroed = rerun(scope, entering, attention, site, spliced, null);
                    zero = new Pass(countedFinal(zeroed, countedRows), new ArrayList<>(), true);
                    zeroPasses.put(site, zero);
                    passes.add(zero);
                }
                zero.splices().add(i);
            }
            accumulateHead(
                    scope,
                    clean,
                    passes,
                    targets,
                    countedSequence,
                    Math.max(1, headChunkValues / config.vocabSize()),
                    result);
        }
        return new CapturedEvaluation(recorder.result(batch, null), result.build());
    }

    /** A spliced or zeroed pass: its counted final hidden states and the splices whose sums it feeds. */
    private record Pass(NDArray finalHidden, List<Integer> splices, boolean zero) {}

    /**
     * The residual after the last layer with {@code site}'s value replaced ({@code replacement} null: by 0) at the
     * {@code spliced} rows, rerun from the residual cached where it enters the site's layer.
     */
    private NDArray rerun(
            NDManager scope,
            Map<Integer, NDArray> entering,
            Attention attention,
            Site site,
            boolean[] spliced,
            SiteReplacement replacement) {
        SiteHook hook = (at, value) -> at.equals(site) ? replaced(value, spliced, replacement) : value;
        NDArray y = step(scope, entering.get(site.layer()), site.layer(), attention, hook, false);
        for (int i = site.layer() + 1; i < config.numLayers(); i++) {
            y = step(scope, y, i, attention, NO_HOOK, true);
        }
        return y;
    }

    /**
     * Final norm of the counted positions only, [predictions, hidden]; {@code countedRows} holds each one's flat
     * position, repeated across the hidden dimension (a gather index). Closes the residual it is given.
     */
    private NDArray countedFinal(NDArray x, NDArray countedRows) {
        NDArray rows = x.reshape(-1, config.hiddenSize()).gather(countedRows, 0);
        NDArray normed = rmsNorm(rows, finalNormScale);
        rows.close();
        x.close();
        return normed;
    }

    /**
     * Per chunk of counted positions: clean log-probabilities once, then each pass's, reduced on the device
     * to one CE and one KL value per position, which are summed into float64 on the host.
     */
    private void accumulateHead(
            NDManager scope,
            NDArray clean,
            List<Pass> passes,
            List<Long> targets,
            List<Integer> countedSequence,
            int chunk,
            SpliceEvaluation.Builder result) {
        int n = targets.size();
        long[] allTargets = targets.stream().mapToLong(Long::longValue).toArray();
        for (int r0 = 0; r0 < n; r0 += chunk) {
            int r1 = Math.min(n, r0 + chunk);
            try (NDManager chunkScope = scope.newSubManager()) {
                NDArray target = chunkScope.create(Arrays.copyOfRange(allTargets, r0, r1), new Shape(r1 - r0, 1));
                NDIndex rows = new NDIndex(r0 + ":" + r1);
                NDArray cleanLogProbs = head(clean.get(chunkScope, rows)).logSoftmax(1);
                NDArray cleanProbs = cleanLogProbs.exp();
                float[] ceClean = cleanLogProbs.gather(target, 1).neg().toFloatArray();
                for (int r = r0; r < r1; r++) {
                    result.addClean(countedSequence.get(r), ceClean[r - r0]);
                }
                for (Pass pass : passes) {
                    try (NDManager passScope = chunkScope.newSubManager()) {
                        NDArray logProbs =
                                head(pass.finalHidden().get(passScope, rows)).logSoftmax(1);
                        float[] ce = logProbs.gather(target, 1).neg().toFloatArray();
                        // Written on logProbs so every [chunk, vocab] temporary belongs to passScope.
                        float[] kl = logProbs.neg()
                                .add(cleanLogProbs)
                                .mul(cleanProbs)
                                .sum(new int[] {1})
                                .toFloatArray();
                        for (int splice : pass.splices()) {
                            for (int r = r0; r < r1; r++) {
                                result.addOther(splice, pass.zero(), countedSequence.get(r), ce[r - r0], kl[r - r0]);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * {@code value} with the rows where {@code spliced} holds replaced by {@code replacement}'s output, or by 0
     * when {@code replacement} is null; computed on the host so the replacement sees exactly the float32 values a
     * capture would have written.
     */
    private static NDArray replaced(NDArray value, boolean[] spliced, SiteReplacement replacement) {
        int width = (int) value.getShape().get(2);
        float[] v = value.toFloatArray();
        int rows = 0;
        for (boolean s : spliced) {
            rows += s ? 1 : 0;
        }
        if (replacement == null) {
            for (int r = 0; r < spliced.length; r++) {
                if (spliced[r]) {
                    Arrays.fill(v, r * width, (r + 1) * width, 0f);
                }
            }
        } else if (rows > 0) {
            float[] x = new float[rows * width];
            for (int r = 0, i = 0; r < spliced.length; r++) {
                if (spliced[r]) {
                    System.arraycopy(v, r * width, x, i++ * width, width);
                }
            }
            float[] xHat = replacement.replace(x, rows);
            if (xHat.length != x.length) {
                throw new IllegalStateException("the replacement at a site of width " + width + " returned "
                        + xHat.length + " values for " + rows + " rows");
            }
            for (int r = 0, i = 0; r < spliced.length; r++) {
                if (spliced[r]) {
                    System.arraycopy(xHat, i++ * width, v, r * width, width);
                }
            }
        }
        return value.getManager().create(v, value.getShape());
    }

    /** {@code what} is the subject and verb, e.g. "logits need". */
    private void requireAllLayers(String what) {
        if (finalNormScale == null) {
            throw new IllegalStateException(
                    what + " all " + config.numLayers() + " layers; only " + loadedLayers + " were loaded");
        }
    }

    private void checkBatch(TokenBatch batch) {
        if (batch.maxTokenId() >= config.vocabSize()) {
            throw new IllegalArgumentException(
                    "token id " + batch.maxTokenId() + " is outside the vocabulary of " + config.vocabSize());
        }
        if (batch.seqLen() > ropeLength) {
            throw new IllegalArgumentException("sequence length " + batch.seqLen() + " exceeds the " + ropeLength
                    + " positions this model was loaded for");
        }
    }

    /** Token embeddings × sqrt(hidden), [batch, seq, hidden], owned by {@code scope}. */
    private NDArray embed(NDManager scope, TokenBatch batch) {
        NDArray ids = scope.create(batch.paddedIds(), new Shape(batch.batchSize(), batch.seqLen()));
        // Called on ids so the result belongs to this forward's scope, not to the model's manager.
        NDArray x = ids.getNDArrayInternal()
                .embedding(ids, embedding, SparseFormat.DENSE)
                .singletonOrThrow();
        // HF casts the normalizer to the model dtype (float32 here) before multiplying.
        return x.mul((float) Math.sqrt(config.hiddenSize()));
    }

    /** RoPE tables and the two additive masks of one batch, shared by every layer and pass over it. */
    private record Attention(NDArray cos, NDArray sin, NDArray globalMask, NDArray slidingMask) {}

    private Attention attention(NDManager scope, TokenBatch batch) {
        int b = batch.batchSize();
        int t = batch.seqLen();
        return new Attention(
                ropeCos.get(scope, new NDIndex("0:" + t)),
                ropeSin.get(scope, new NDIndex("0:" + t)),
                scope.create(additiveMask(batch, Integer.MAX_VALUE), new Shape(b, 1, t, t)),
                scope.create(additiveMask(batch, config.slidingWindow()), new Shape(b, 1, t, t)));
    }

    /**
     * Layer {@code index} on {@code x} with its intermediates freed when it returns; the output belongs to
     * {@code scope}. {@code x} is closed unless the caller keeps it ({@code closeInput} false).
     */
    private NDArray step(
            NDManager scope, NDArray x, int index, Attention attention, SiteHook hook, boolean closeInput) {
        try (NDManager layerScope = scope.newSubManager()) {
            x.tempAttach(layerScope);
            NDArray out = layer(
                    index,
                    x,
                    attention.cos(),
                    attention.sin(),
                    config.isSlidingLayer(index) ? attention.slidingMask() : attention.globalMask(),
                    hook);
            out.attach(scope);
            if (closeInput) {
                x.close(); // the previous residual stream is no longer needed
            }
            return out;
        }
    }

    /** Softcapped logits of final-normed hidden states. */
    private NDArray head(NDArray normed) {
        NDArray z = linear(normed, embedding);
        return config.finalLogitSoftcap().isPresent()
                ? closing(z, softcap(z, (float) config.finalLogitSoftcap().getAsDouble()))
                : z;
    }

    /**
     * What a forward does at each site: capture reads the value, an evaluation may replace it. Returns the value
     * the forward continues with.
     */
    private interface SiteHook {
        NDArray at(Site site, NDArray value);
    }

    private static final SiteHook NO_HOOK = (site, value) -> value;

    /*
     * Memory inside a layer: each block runs in its own sub-scope, so its views and small temporaries go when it
     * returns; large temporaries are closed as soon as they are consumed and elementwise steps on arrays the block
     * made run in place. Otherwise every intermediate would live until the layer ends (≈ 600 MB at 8 × 128 tokens,
     * gigabytes of [batch, heads, T, T] scores at T = 1024), and every fresh large array costs page faults. The
     * arithmetic and its order are those of HF's eager forward.
     */
    private NDArray layer(int index, NDArray x, NDArray cos, NDArray sin, NDArray mask, SiteHook hook) {
        Layer w = layers.get(index);
        NDArray attn = hook.at(new Site(Site.Kind.ATT, index), attention(w, x, cos, sin, mask));
        NDArray projected = closing(attn, linear(attn, w.o()));
        NDArray attnOut = closing(projected, rmsNorm(projected, w.postAttnNorm()));
        NDArray h = closing(attnOut, x.add(attnOut));
        NDArray mlp = hook.at(new Site(Site.Kind.MLP, index), mlp(w, h));
        NDArray out = h.addi(mlp);
        mlp.close();
        return hook.at(new Site(Site.Kind.RES, index), out);
    }

    /** Self-attention of {@code x} before the output projection, [batch, seq, heads · headDim], owned like x. */
    private NDArray attention(Layer w, NDArray x, NDArray cos, NDArray sin, NDArray mask) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        NDManager owner = x.getManager();
        try (NDManager block = owner.newSubManager()) {
            x.tempAttach(block);
            NDArray normed = rmsNorm(x, w.inputNorm());
            NDList qkv = closing(normed, linear(normed, w.qkv()))
                    .split(new long[] {(long) heads * d, (long) (heads + kvHeads) * d}, 2);
            NDArray q = rope(qkv.get(0).reshape(b, t, heads, d).transpose(0, 2, 1, 3), cos, sin);
            NDArray k = rope(qkv.get(1).reshape(b, t, kvHeads, d).transpose(0, 2, 1, 3), cos, sin);
            NDArray v = qkv.get(2).reshape(b, t, kvHeads, d).transpose(0, 2, 1, 3);
            if (kvHeads != heads) {
                // Grouped-query attention: kv head g serves query heads g*groups .. g*groups+groups-1.
                k = closing(k, k.repeat(1, heads / kvHeads));
                v = v.repeat(1, heads / kvHeads);
            }
            NDArray keysT = k.transpose(0, 1, 3, 2); // a view: it keeps k's storage until closed
            NDArray scores = q.matMul(keysT);
            q.close();
            keysT.close();
            k.close();
            scores.muli((float) Math.pow(config.queryPreAttnScalar(), -0.5));
            if (config.attnLogitSoftcap().isPresent()) {
                scores = closing(scores, softcap(scores, (float)
                        config.attnLogitSoftcap().getAsDouble()));
            }
            NDArray probs = closing(scores, scores.addi(mask).softmax(-1));
            NDArray perHead = closing(probs, probs.matMul(v));
            NDArray perPosition = perHead.transpose(0, 2, 1, 3);
            NDArray attn = perPosition.reshape(b, t, (long) heads * d);
            perPosition.close();
            perHead.close();
            attn.attach(owner);
            return attn;
        }
    }

    /** The MLP block of {@code h} (pre-norm, GeGLU, down projection, post-norm), owned like h. */
    private NDArray mlp(Layer w, NDArray h) {
        NDManager owner = h.getManager();
        try (NDManager block = owner.newSubManager()) {
            h.tempAttach(block);
            NDArray normed = rmsNorm(h, w.preFfNorm());
            NDArray gateUpAll = closing(normed, linear(normed, w.gateUp()));
            NDList gateUp = gateUpAll.split(2, 2); // views: they keep gateUpAll's storage until closed
            NDArray gated = geluTanh(gateUp.get(0)).muli(gateUp.get(1));
            gateUp.close();
            gateUpAll.close();
            NDArray down = closing(gated, linear(gated, w.down()));
            NDArray out = closing(down, rmsNorm(down, w.postFfNorm()));
            out.attach(owner);
            return out;
        }
    }

    /** {@code result}, once {@code consumed} (an intermediate it was computed from) is closed. */
    private static NDArray closing(NDArray consumed, NDArray result) {
        consumed.close();
        return result;
    }

    private static NDArray linear(NDArray x, NDArray weight) {
        return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
    }

    private NDArray rmsNorm(NDArray x, NDArray scale) {
        NDArray squared = x.square();
        NDArray meanSquare = closing(squared, squared.mean(new int[] {-1}, true));
        NDArray rms =
                closing(meanSquare, meanSquare.addi((float) config.rmsNormEps()).sqrt());
        return closing(rms, x.div(rms)).muli(scale);
    }

    private static NDArray softcap(NDArray x, float cap) {
        NDArray scaled = x.div(cap);
        return closing(scaled, scaled.tanh()).muli(cap);
    }

    private static NDArray rope(NDArray x, NDArray cos, NDArray sin) {
        long half = x.getShape().get(3) / 2;
        NDList halves = x.split(new long[] {half}, 3);
        NDArray negated = halves.get(1).neg();
        NDArray rotated = closing(negated, negated.concat(halves.get(0), 3)).muli(sin);
        return closing(rotated, x.mul(cos).addi(rotated));
    }

    /**
     * GELU, tanh approximation (HF gelu_pytorch_tanh); DJL's Activation.gelu is the erf form. Two temporaries
     * instead of eight; 0.5·x·(1 + tanh) equals (x·0.5)·(tanh + 1) exactly (a product with 0.5 is exact).
     */
    private static NDArray geluTanh(NDArray x) {
        NDArray inner = x.pow(3).muli(0.044715f).addi(x).muli((float) Math.sqrt(2.0 / Math.PI));
        return closing(inner, inner.tanh()).addi(1f).muli(x).muli(0.5f);
    }

    /**
     * [batch, 1, T, T] additive mask: 0 where query i may see key j (causal, key is a real token, and
     * {@code i - j < window}), a large negative number elsewhere (HF uses the dtype's minimum).
     */
    private static float[] additiveMask(TokenBatch batch, int window) {
        int b = batch.batchSize();
        int t = batch.seqLen();
        float[] mask = new float[b * t * t];
        for (int s = 0; s < b; s++) {
            int length = batch.length(s);
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < t; j++) {
                    boolean visible = j <= i && j < length && (long) i - j < window;
                    mask[(s * t + i) * t + j] = visible ? 0f : -1e30f;
                }
            }
        }
        return mask;
    }

    @Override
    public void close() {
        manager.close();
    }
}
