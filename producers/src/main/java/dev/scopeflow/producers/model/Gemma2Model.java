package dev.scopeflow.producers.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.scopeflow.schemas.Site;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
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
        Device device = options.device().resolve(engine);
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
        return config.siteWidth(site.kind());
    }

    private void checkSite(Site site) {
        if (site.layer() >= config.numLayers()) {
            throw new IllegalArgumentException("site " + site + " is beyond the model: it has " + config.numLayers()
                    + " layers (0.." + (config.numLayers() - 1) + ", config.json num_hidden_layers)");
        }
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
        TreeSet<Site> wanted = new TreeSet<>((a, b) -> a.layer() != b.layer()
                ? Integer.compare(a.layer(), b.layer())
                : a.kind().compareTo(b.kind()));
        wanted.addAll(sites);
        wanted.forEach(this::checkSite);
        if (withLogits && finalNormScale == null) {
            throw new IllegalStateException(
                    "logits need all " + config.numLayers() + " layers; only " + loadedLayers + " were loaded");
        }
        if (wanted.isEmpty() && !withLogits) {
            throw new IllegalArgumentException("nothing to capture: no sites and no logits requested");
        }
        if (batch.maxTokenId() >= config.vocabSize()) {
            throw new IllegalArgumentException(
                    "token id " + batch.maxTokenId() + " is outside the vocabulary of " + config.vocabSize());
        }
        int b = batch.batchSize();
        int t = batch.seqLen();
        if (t > ropeLength) {
            throw new IllegalArgumentException(
                    "sequence length " + t + " exceeds the " + ropeLength + " positions this model was loaded for");
        }
        int lastLayer = withLogits ? config.numLayers() - 1 : wanted.last().layer();
        Map<Site, float[]> values = new LinkedHashMap<>();
        Map<Site, Integer> widths = new LinkedHashMap<>();
        float[] logits = null;
        try (NDManager scope = manager.newSubManager()) {
            NDArray ids = scope.create(batch.paddedIds(), new Shape(b, t));
            // Called on ids so the result belongs to this forward's scope, not to the model's manager.
            NDArray x = ids.getNDArrayInternal()
                    .embedding(ids, embedding, SparseFormat.DENSE)
                    .singletonOrThrow();
            // HF casts the normalizer to the model dtype (float32 here) before multiplying.
            x = x.mul((float) Math.sqrt(config.hiddenSize()));
            NDArray cos = ropeCos.get(scope, new NDIndex("0:" + t));
            NDArray sin = ropeSin.get(scope, new NDIndex("0:" + t));
            NDArray globalMask = scope.create(additiveMask(batch, Integer.MAX_VALUE), new Shape(b, 1, t, t));
            NDArray slidingMask = scope.create(additiveMask(batch, config.slidingWindow()), new Shape(b, 1, t, t));
            for (int i = 0; i <= lastLayer; i++) {
                try (NDManager layerScope = scope.newSubManager()) {
                    x.tempAttach(layerScope);
                    NDArray out = layer(
                            i,
                            x,
                            cos,
                            sin,
                            config.isSlidingLayer(i) ? slidingMask : globalMask,
                            wanted,
                            values,
                            widths);
                    out.attach(scope);
                    x.close(); // the previous residual stream is no longer needed
                    x = out;
                }
            }
            if (withLogits) {
                NDArray normed = rmsNorm(x, finalNormScale);
                NDArray z = linear(normed, embedding);
                if (config.finalLogitSoftcap().isPresent()) {
                    z = softcap(z, (float) config.finalLogitSoftcap().getAsDouble());
                }
                logits = z.toFloatArray();
            }
        }
        return new CaptureResult(b, t, values, widths, logits, config.vocabSize());
    }

    private NDArray layer(
            int index,
            NDArray x,
            NDArray cos,
            NDArray sin,
            NDArray mask,
            TreeSet<Site> wanted,
            Map<Site, float[]> values,
            Map<Site, Integer> widths) {
        Layer w = layers.get(index);
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();

        NDList qkv = linear(rmsNorm(x, w.inputNorm()), w.qkv())
                .split(new long[] {(long) heads * d, (long) (heads + kvHeads) * d}, 2);
        NDArray q = rope(qkv.get(0).reshape(b, t, heads, d).transpose(0, 2, 1, 3), cos, sin);
        NDArray k = rope(qkv.get(1).reshape(b, t, kvHeads, d).transpose(0, 2, 1, 3), cos, sin);
        NDArray v = qkv.get(2).reshape(b, t, kvHeads, d).transpose(0, 2, 1, 3);
        if (kvHeads != heads) {
            // Grouped-query attention: kv head g serves query heads g*groups .. g*groups+groups-1.
            k = k.repeat(1, heads / kvHeads);
            v = v.repeat(1, heads / kvHeads);
        }
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul((float) Math.pow(config.queryPreAttnScalar(), -0.5));
        if (config.attnLogitSoftcap().isPresent()) {
            scores = softcap(scores, (float) config.attnLogitSoftcap().getAsDouble());
        }
        NDArray probs = scores.add(mask).softmax(-1);
        NDArray attn = probs.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, (long) heads * d);
        record(new Site(Site.Kind.ATT, index), attn, wanted, values, widths);

        NDArray h = x.add(rmsNorm(linear(attn, w.o()), w.postAttnNorm()));
        NDList gateUp = linear(rmsNorm(h, w.preFfNorm()), w.gateUp()).split(2, 2);
        NDArray mlp = rmsNorm(linear(geluTanh(gateUp.get(0)).mul(gateUp.get(1)), w.down()), w.postFfNorm());
        record(new Site(Site.Kind.MLP, index), mlp, wanted, values, widths);
        NDArray out = h.add(mlp);
        record(new Site(Site.Kind.RES, index), out, wanted, values, widths);
        return out;
    }

    private void record(
            Site site, NDArray value, TreeSet<Site> wanted, Map<Site, float[]> values, Map<Site, Integer> widths) {
        if (wanted.contains(site)) {
            values.put(site, value.toFloatArray());
            widths.put(site, (int) value.getShape().get(2));
        }
    }

    private static NDArray linear(NDArray x, NDArray weight) {
        return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
    }

    private NDArray rmsNorm(NDArray x, NDArray scale) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add((float) config.rmsNormEps()).sqrt()).mul(scale);
    }

    private static NDArray softcap(NDArray x, float cap) {
        return x.div(cap).tanh().mul(cap);
    }

    private static NDArray rope(NDArray x, NDArray cos, NDArray sin) {
        long half = x.getShape().get(3) / 2;
        NDList halves = x.split(new long[] {half}, 3);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), 3);
        return x.mul(cos).add(rotated.mul(sin));
    }

    /** GELU, tanh approximation (HF gelu_pytorch_tanh); DJL's Activation.gelu is the erf form. */
    private static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2.0 / Math.PI));
        return x.mul(0.5f).mul(inner.tanh().add(1f));
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
