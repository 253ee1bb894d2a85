"""Independent numpy reference for ScopeFlow's Gemma 2 forward, and a writer of tiny HF-layout checkpoints.

  make  --out DIR --config JSON --dtype bf16|f32|f16 --shards N --seed S
        writes config.json and model.safetensors (or N shards + model.safetensors.index.json) with random weights
  check --model DIR --captured DIR
        reads DIR/tokens.json, DIR/attention_mask.npy and DIR/<site>.npy (+ logits.npy) written by the Java code,
        recomputes everything in float64 from the stored weights and prints a JSON report of relative errors
        (max |java - ref| / max |ref| over real tokens) and of how much the softcaps and the window bite.
  make-sae --model DIR --tokens FILE --site SITE --d-sae N --seed S --out FILE.npz
        writes a Gemma Scope params.npz (JumpReLU) fitted loosely to the site's values on those tokens: 20-60 % of
        rows active per feature, thresholds far from every pre-activation, a least-squares decoder
  eval --model DIR --tokens FILE --sae ID=SITE=NPZ [--sae ...]
        the downstream metrics of each SAE (clean / SAE spliced / site zeroed at real non-BOS positions; CE and
        KL(clean || other) over positions whose next token is real) as JSON keyed by SAE id, in float64

Follows HF transformers' Gemma2ForCausalLM with eager attention; written from the HF semantics, not from the Java.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


def to_bf16_bits(a):
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def encode(a, dtype):
    if dtype == "f32":
        return "F32", np.ascontiguousarray(a, dtype="<f4").tobytes()
    if dtype == "f16":
        return "F16", np.ascontiguousarray(a, dtype="<f2").tobytes()
    return "BF16", to_bf16_bits(a).astype("<u2").tobytes()


DTYPE_CODES = {"f32": ("F32", 4), "f16": ("F16", 2), "bf16": ("BF16", 2)}


class SafetensorsWriter:
    """One safetensors file whose header is written first, from the tensors' names and shapes, so each tensor's bytes
    can be written as soon as it is drawn and freed (a 26-layer 2B checkpoint is 10.5 GB of float32)."""

    def __init__(self, path, shapes, dtype):
        code, width = DTYPE_CODES[dtype]
        header, self.offsets, offset = {}, {}, 0
        for name, shape in shapes.items():
            size = int(np.prod(shape)) * width
            header[name] = {"dtype": code, "shape": list(shape), "data_offsets": [offset, offset + size]}
            self.offsets[name] = offset
            offset += size
        header["__metadata__"] = {"format": "pt"}
        text = json.dumps(header).encode("utf-8")
        text += b" " * ((8 - len(text) % 8) % 8)
        self.dtype, self.data_start = dtype, 8 + len(text)
        self.file = open(path, "wb")
        self.file.write(struct.pack("<Q", len(text)))
        self.file.write(text)
        self.file.truncate(self.data_start + offset)

    def write(self, name, array):
        self.file.seek(self.data_start + self.offsets[name])
        self.file.write(encode(array, self.dtype)[1])

    def close(self):
        self.file.close()


def make(args):
    cfg = json.loads(args.config)
    rng = np.random.default_rng(args.seed)
    h, inter, v = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    heads, kv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    scale = cfg.pop("_weight_scale", 1.0)
    # (name, shape, std) in the order the random stream draws them
    spec = [("model.embed_tokens.weight", (v, h), 1.0)]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        spec += [
            (p + "input_layernorm.weight", (h,), 0.3),
            (p + "self_attn.q_proj.weight", (heads * d, h), scale / np.sqrt(h)),
            (p + "self_attn.k_proj.weight", (kv * d, h), scale / np.sqrt(h)),
            (p + "self_attn.v_proj.weight", (kv * d, h), 1 / np.sqrt(h)),
            (p + "self_attn.o_proj.weight", (h, heads * d), 1 / np.sqrt(heads * d)),
            (p + "post_attention_layernorm.weight", (h,), 0.3),
            (p + "pre_feedforward_layernorm.weight", (h,), 0.3),
            (p + "mlp.gate_proj.weight", (inter, h), 1 / np.sqrt(h)),
            (p + "mlp.up_proj.weight", (inter, h), 1 / np.sqrt(h)),
            (p + "mlp.down_proj.weight", (h, inter), 1 / np.sqrt(inter)),
            (p + "post_feedforward_layernorm.weight", (h,), 0.3),
        ]
    spec.append(("model.norm.weight", (h,), 0.3))
    os.makedirs(args.out, exist_ok=True)
    cfg["torch_dtype"] = {"bf16": "bfloat16", "f16": "float16", "f32": "float32"}[args.dtype]
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    shards = max(args.shards, 1)
    names = [n for n, _, _ in spec]
    shapes = {n: shape for n, shape, _ in spec}
    files = (["model.safetensors"] if shards == 1
             else [f"model-{s + 1:05d}-of-{shards:05d}.safetensors" for s in range(shards)])
    weight_map = {n: files[s] for s in range(shards) for n in names[s::shards]}
    writers = {f: SafetensorsWriter(os.path.join(args.out, f), {n: shapes[n] for n in names if weight_map[n] == f},
                                    args.dtype) for f in files}
    for name, shape, std in spec:
        writers[weight_map[name]].write(name, rng.normal(0, std, shape).astype(np.float32))
    for w in writers.values():
        w.close()
    if shards > 1:
        total = sum(int(np.prod(s)) for s in shapes.values()) * DTYPE_CODES[args.dtype][1]
        with open(os.path.join(args.out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        raw = data[e["data_offsets"][0]:e["data_offsets"][1]]
        if e["dtype"] == "F32":
            a = np.frombuffer(raw, "<f4")
        elif e["dtype"] == "F16":
            a = np.frombuffer(raw, "<f2")
        else:
            a = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
        out[name] = a.astype(np.float64).reshape(e["shape"])
    return out


def load_weights(model):
    index = os.path.join(model, "model.safetensors.index.json")
    if os.path.exists(index):
        files = sorted(set(json.load(open(index))["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    w = {}
    for f in files:
        w.update(read_safetensors(os.path.join(model, f)))
    return w


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * (1.0 + w)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def forward(cfg, w, ids, lengths, hook=lambda name, value: value):
    b, t = ids.shape
    h, heads, kv, d = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    attn_cap, final_cap = cfg.get("attn_logit_softcapping"), cfg.get("final_logit_softcapping")
    window = cfg["sliding_window"]
    inv_freq = 1.0 / cfg["rope_theta"] ** (np.arange(0, d, 2) / d)
    angles = np.arange(t)[:, None] * inv_freq[None, :]
    cos = np.cos(np.concatenate([angles, angles], -1))
    sin = np.sin(np.concatenate([angles, angles], -1))
    i_idx, j_idx = np.arange(t)[:, None], np.arange(t)[None, :]
    key_real = np.arange(t)[None, :] < np.asarray(lengths)[:, None]           # [b, t]
    causal = j_idx <= i_idx
    sites, stats = {}, {"max_abs_score_over_cap": 0.0, "window_masked_pairs": 0}
    x = w["model.embed_tokens.weight"][ids] * np.sqrt(h)
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        sliding = layer % 2 == 0
        xn = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = (xn @ w[p + "self_attn.q_proj.weight"].T).reshape(b, t, heads, d).transpose(0, 2, 1, 3)
        k = (xn @ w[p + "self_attn.k_proj.weight"].T).reshape(b, t, kv, d).transpose(0, 2, 1, 3)
        v = (xn @ w[p + "self_attn.v_proj.weight"].T).reshape(b, t, kv, d).transpose(0, 2, 1, 3)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = np.repeat(k, heads // kv, axis=1)
        v = np.repeat(v, heads // kv, axis=1)
        s = q @ k.transpose(0, 1, 3, 2) * cfg["query_pre_attn_scalar"] ** -0.5
        if attn_cap is not None:
            stats["max_abs_score_over_cap"] = max(stats["max_abs_score_over_cap"], float(np.abs(s).max() / attn_cap))
            s = np.tanh(s / attn_cap) * attn_cap
        allowed = causal[None, :, :] & key_real[:, None, :]
        if sliding:
            in_window = (i_idx - j_idx) < window
            stats["window_masked_pairs"] += int((allowed & ~in_window[None]).sum())
            allowed = allowed & in_window[None]
        # A large finite constant like HF's dtype-minimum mask: padded query rows past the window see no key and
        # become uniform instead of NaN (only real rows are compared, but NaN would leak through 0 * NaN).
        s = np.where(allowed[:, None, :, :], s, -1e300)
        s = s - s.max(-1, keepdims=True)
        prob = np.exp(s)
        prob /= prob.sum(-1, keepdims=True)
        att = (prob @ v).transpose(0, 2, 1, 3).reshape(b, t, heads * d)
        att = hook(f"att.{layer}", att)
        sites[f"att.{layer}"] = att
        x = x + rms_norm(att @ w[p + "self_attn.o_proj.weight"].T, w[p + "post_attention_layernorm.weight"], eps)
        m = rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps)
        g = m @ w[p + "mlp.gate_proj.weight"].T
        u = m @ w[p + "mlp.up_proj.weight"].T
        mlp = rms_norm((gelu_tanh(g) * u) @ w[p + "mlp.down_proj.weight"].T, w[p + "post_feedforward_layernorm.weight"], eps)
        mlp = hook(f"mlp.{layer}", mlp)
        sites[f"mlp.{layer}"] = mlp
        x = hook(f"res.{layer}", x + mlp)
        sites[f"res.{layer}"] = x
    logits = rms_norm(x, w["model.norm.weight"], eps) @ w["model.embed_tokens.weight"].T
    if final_cap is not None:
        stats["max_abs_logit_over_cap"] = float(np.abs(logits).max() / final_cap)
        logits = np.tanh(logits / final_cap) * final_cap
    sites["logits"] = logits
    return sites, stats


def check(args):
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    w = load_weights(args.model)
    tokens = json.load(open(os.path.join(args.captured, "tokens.json")))
    lengths = [len(s) for s in tokens]
    t = max(lengths)
    mask = np.load(os.path.join(args.captured, "attention_mask.npy"))
    expected_mask = (np.arange(t)[None, :] < np.asarray(lengths)[:, None]).astype(np.int64)
    ids = np.zeros((len(tokens), t), dtype=np.int64)
    for r, s in enumerate(tokens):
        ids[r, :len(s)] = s
    ref, stats = forward(cfg, w, ids, lengths)
    report = {"stats": stats, "mask_ok": bool(mask.shape == expected_mask.shape and (mask == expected_mask).all()),
              "mask_dtype": str(mask.dtype), "sites": {}}
    real = expected_mask.astype(bool)
    for f in sorted(os.listdir(args.captured)):
        if not f.endswith(".npy") or f == "attention_mask.npy":
            continue
        name = f[:-4]
        got = np.load(os.path.join(args.captured, f))
        want = ref[name]
        entry = {"shape": list(got.shape), "expected_shape": list(want.shape), "dtype": str(got.dtype)}
        if got.shape == want.shape:
            diff = np.abs(got.astype(np.float64) - want)[real]
            entry["rel_err"] = float(diff.max() / np.abs(want[real]).max())
            entry["pad_max_abs"] = float(np.abs(got[~real]).max()) if (~real).any() else 0.0
        report["sites"][name] = entry
    json.dump(report, sys.stdout)


def read_tokens(path, cfg):
    tokens = json.load(open(path))
    lengths = [len(s) for s in tokens]
    ids = np.full((len(tokens), max(lengths)), cfg["pad_token_id"], dtype=np.int64)
    for r, s in enumerate(tokens):
        ids[r, :len(s)] = s
    real = np.arange(ids.shape[1])[None, :] < np.asarray(lengths)[:, None]
    return ids, lengths, real


def spliced_positions(cfg, ids, real):
    """Where the SAE replaces the site's value: real tokens that are not BOS."""
    return real & (ids != cfg["bos_token_id"])


def jumprelu_pre(sae, x):
    return x @ sae["W_enc"] + sae["b_enc"]


def jumprelu_reconstruct(sae, x):
    pre = jumprelu_pre(sae, x)
    f = np.where(pre > sae["threshold"], pre, 0.0)
    f = np.where(f > 0, f, 0.0)  # a feature is active exactly when f > 0
    return f @ sae["W_dec"] + sae["b_dec"]


def make_sae(args):
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    w = load_weights(args.model)
    ids, lengths, real = read_tokens(args.tokens, cfg)
    x = forward(cfg, w, ids, lengths)[0][args.site][spliced_positions(cfg, ids, real)]
    rng = np.random.default_rng(args.seed)
    d_in, d_sae = x.shape[1], args.d_sae
    w_enc = rng.normal(0, 1, (d_in, d_sae))
    raw = x @ w_enc
    w_enc /= raw.std(0)
    raw = x @ w_enc
    # pre = raw + b_enc puts the 60 % quantile at 0.5; each threshold sits midway across the widest gap between
    # neighbouring pre-activations of the 40-80 % quantiles, so float32 rounding cannot flip a feature
    b_enc = 0.5 - np.quantile(raw, 0.6, axis=0)
    pre = np.sort(raw + b_enc, axis=0)
    n = pre.shape[0]
    lo, hi = max(1, int(0.4 * n)), max(2, int(0.8 * n))
    threshold = np.empty(d_sae)
    for j in range(d_sae):
        k = lo + int(np.argmax(pre[lo:hi, j] - pre[lo - 1:hi - 1, j]))
        threshold[j] = (pre[k - 1, j] + pre[k, j]) / 2
    f = raw + b_enc
    f = np.where(f > threshold, f, 0.0)
    # A least-squares decoder with fewer parameters than rows: a partial reconstruction, as real SAEs give.
    design = np.concatenate([f, np.ones((f.shape[0], 1))], axis=1)
    fit = np.linalg.lstsq(design, x, rcond=None)[0]
    np.savez(args.out, W_enc=w_enc.astype(np.float32), W_dec=fit[:-1].astype(np.float32),
             b_enc=b_enc.astype(np.float32), b_dec=fit[-1].astype(np.float32), threshold=threshold.astype(np.float32))


def log_softmax(z):
    m = z.max(-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(-1, keepdims=True))


def evaluate(args):
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    w = load_weights(args.model)
    ids, lengths, real = read_tokens(args.tokens, cfg)
    spliced = spliced_positions(cfg, ids, real)
    predicted = np.zeros_like(real)
    predicted[:, :-1] = real[:, 1:]              # t counts when t + 1 is real
    targets = ids[:, 1:][predicted[:, :-1]]
    clean, stats = forward(cfg, w, ids, lengths)

    def ce_and_log_probs(logits):
        lp = log_softmax(logits[predicted])
        return -lp[np.arange(len(targets)), targets], lp

    ce_clean, lp_clean = ce_and_log_probs(clean["logits"])
    p_clean = np.exp(lp_clean)
    report = {"stats": stats}
    for spec in args.sae:
        sae_id, site, path = spec.split("=", 2)
        sae = {k: v.astype(np.float64) for k, v in np.load(path).items()}
        x = clean[site][spliced]
        # how far every pre-activation is from where its feature switches on (pre > threshold and pre > 0)
        margin = float(np.abs(jumprelu_pre(sae, x) - np.maximum(sae["threshold"], 0.0)).min())

        def replace_with(fn):
            def hook(name, value):
                if name != site:
                    return value
                out = value.copy()
                out[spliced] = fn(value[spliced])
                return out
            return hook

        out = {}
        for kind, fn in (("sae", lambda v: jumprelu_reconstruct(sae, v)), ("zero", np.zeros_like)):
            ce, lp = ce_and_log_probs(forward(cfg, w, ids, lengths, replace_with(fn))[0]["logits"])
            out["ce_" + kind] = float(ce.mean())
            out["kl_" + kind] = float((p_clean * (lp_clean - lp)).sum(-1).mean())
        out["ce_clean"] = float(ce_clean.mean())
        out["delta_lm_loss"] = out["ce_sae"] - out["ce_clean"]
        out["ce_loss_recovered"] = (out["ce_zero"] - out["ce_sae"]) / (out["ce_zero"] - out["ce_clean"])
        out["kl_div_score"] = (out["kl_zero"] - out["kl_sae"]) / out["kl_zero"]
        out["n_predictions"] = int(len(targets))
        out["min_threshold_margin"] = margin
        out["spliced_positions"] = int(spliced.sum())
        report[sae_id] = out
    json.dump(report, sys.stdout)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--out", required=True)
    m.add_argument("--config", required=True)
    m.add_argument("--dtype", default="f32", choices=["f32", "bf16", "f16"])
    m.add_argument("--shards", type=int, default=1)
    m.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("check")
    c.add_argument("--model", required=True)
    c.add_argument("--captured", required=True)
    s = sub.add_parser("make-sae")
    s.add_argument("--model", required=True)
    s.add_argument("--tokens", required=True)
    s.add_argument("--site", required=True)
    s.add_argument("--d-sae", type=int, default=16)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True)
    e = sub.add_parser("eval")
    e.add_argument("--model", required=True)
    e.add_argument("--tokens", required=True)
    e.add_argument("--sae", action="append", required=True)
    args = ap.parse_args()
    {"make": make, "check": check, "make-sae": make_sae, "eval": evaluate}[args.cmd](args)


if __name__ == "__main__":
    main()
