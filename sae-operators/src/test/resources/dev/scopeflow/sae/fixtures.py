"""Test fixtures for scopeflow-sae-operators, written by numpy in the real file formats.

Expected values are computed here, independently of the Java code, and written as raw little-endian
files (ndarray.tofile) so that checking them does not go through the Java npy/npz reader under test.

Usage: python3 fixtures.py <mode> <out_dir> [args...]
  sae <dir> <seed> <d_in> <d_sae> <rows> <kind>
        kind = exact : dyadic values, so every float32 sum is exact in any order (exact comparisons, ties
                       pre == threshold on purpose, negative thresholds so that threshold < pre <= 0 occurs)
        kind = gauss : Gaussian values; thresholds placed in gaps between a feature's pre-activations so no
                       token sits within a rounding error of its threshold
  bad <dir>                                    broken params.npz variants for the validation tests
  log-stats <dir> <rows> <d_sae> <per_interval> reads acts.f32 [rows, d_sae], docs.i64, pos.i32 from <dir>;
        writes the log-spaced histogram hist.i64 [d_sae, 62] and the interval samples (samples_*.bin)
  stats-run <dir> <seed> <n_seq> <seq_len> <d_in> <d_sae> <top_k> <dense_threshold>
        inputs of `scopeflow stats` (params.npz, the same SAE as an SAELens dir, activations.npy,
        attention_mask.npy, tokens.json; dyadic values so ties are exact) and the expected outputs, brute force in
        float64, in expected_all/ (every token counts) and expected_filtered/ (mask, tokens, BOS excluded)
  logit-effects <dir> <seed> <d_in> <d_sae> <vocab> <k> <kind>
        w_dec.f32 [d_sae, d_in], w_u.f32 [vocab, d_in] and, by brute force over the full float64 product
        W_dec · W_uᵀ, each feature's k highest / k lowest tokens (ties to the lower id) in high_tokens.i64,
        high_values.f64, low_tokens.i64, low_values.f64 [d_sae, k]
        kind = gauss : Gaussian; resampled until no two of a feature's k+1 extreme values lie within 1e-4 of
                       each other, so float32 summation order cannot change a ranking
        kind = ties  : dyadic values (exact in any order), repeated W_U rows and an all-zero W_dec row, so exact
                       ties decide many ranks
"""
import io
import json
import os
import sys
import zipfile

import numpy as np


def raw(path, array, dtype):
    np.ascontiguousarray(array, dtype=dtype).tofile(path)


def sae(out, seed, d_in, d_sae, rows, kind):
    rng = np.random.default_rng(seed)
    if kind == "exact":
        # multiples of 1/8 and 1/64: products are multiples of 1/512 well inside float32's exact range
        x = rng.integers(-8, 9, size=(rows, d_in)).astype(np.float32) / 8
        x[rng.random((rows, d_in)) < 0.2] = 0  # zeros exercise the kernel's skip
        w_enc = rng.integers(-16, 17, size=(d_in, d_sae)).astype(np.float32) / 64
        w_dec = rng.integers(-16, 17, size=(d_sae, d_in)).astype(np.float32) / 64
        b_enc = rng.integers(-32, 33, size=d_sae).astype(np.float32) / 64
        b_dec = rng.integers(-32, 33, size=d_in).astype(np.float32) / 64
        pre = x @ w_enc + b_enc
        # threshold: half copy a real pre-activation (tie: pre == threshold must be inactive), some negative
        threshold = rng.integers(-16, 33, size=d_sae).astype(np.float32) / 64
        pick = rng.random(d_sae) < 0.5
        threshold[pick] = pre[rng.integers(0, rows, size=d_sae), np.arange(d_sae)][pick]
    else:
        x = rng.standard_normal((rows, d_in)).astype(np.float32)
        w_enc = (rng.standard_normal((d_in, d_sae)) / np.sqrt(d_in)).astype(np.float32)
        w_dec = (rng.standard_normal((d_sae, d_in)) / np.sqrt(d_sae)).astype(np.float32)
        b_enc = (rng.standard_normal(d_sae) * 0.1).astype(np.float32)
        b_dec = (rng.standard_normal(d_in) * 0.1).astype(np.float32)
        pre64 = x.astype(np.float64) @ w_enc.astype(np.float64) + b_enc
        # keep every pre-activation away from 0 too: activation > 0 is the other boundary
        while True:
            near_zero = (np.abs(pre64) < 1e-3).any(axis=0)
            if not near_zero.any():
                break
            b_enc[near_zero] += rng.uniform(2e-3, 4e-3, size=near_zero.sum()).astype(np.float32)
            pre64 = x.astype(np.float64) @ w_enc.astype(np.float64) + b_enc
        threshold = np.empty(d_sae, dtype=np.float32)
        for j in range(d_sae):
            col = np.sort(pre64[:, j])
            col = np.concatenate([[col[0] - 1.0], col, [col[-1] + 1.0]])
            gaps = np.diff(col)
            # prefer a wide gap at a random rank; keeps every |pre - threshold| far above rounding error
            order = rng.permutation(len(gaps))
            best = max(order[:4], key=lambda g: gaps[g])
            threshold[j] = (col[best] + col[best + 1]) / 2
        pre = (pre64).astype(np.float32)
    # JumpReLU f = pre > threshold ? pre : 0; a feature is active (and kept) only where f > 0, so a negative
    # threshold never produces a negative activation in the codes
    f = np.where(pre > threshold, pre, 0).astype(np.float32)
    acts = np.where(f > 0, f, 0).astype(np.float32)
    fires = acts > 0
    recon = (acts.astype(np.float64) @ w_dec.astype(np.float64) + b_dec).astype(np.float32)
    if kind == "exact":
        recon = acts @ w_dec + b_dec

    np.savez(os.path.join(out, "params.npz"), W_enc=w_enc, W_dec=w_dec, b_enc=b_enc, b_dec=b_dec,
             threshold=threshold)
    np.savez(os.path.join(out, "params_fortran.npz"), W_enc=np.asfortranarray(w_enc),
             W_dec=np.asfortranarray(w_dec), b_enc=b_enc, b_dec=b_dec, threshold=threshold)
    np.savez_compressed(os.path.join(out, "params_compressed.npz"), W_enc=w_enc, W_dec=w_dec, b_enc=b_enc,
                        b_dec=b_dec, threshold=threshold)
    raw(os.path.join(out, "x.f32"), x, "<f4")
    raw(os.path.join(out, "w_enc.f32"), w_enc, "<f4")
    raw(os.path.join(out, "w_dec.f32"), w_dec, "<f4")
    raw(os.path.join(out, "b_enc.f32"), b_enc, "<f4")
    raw(os.path.join(out, "b_dec.f32"), b_dec, "<f4")
    raw(os.path.join(out, "threshold.f32"), threshold, "<f4")
    raw(os.path.join(out, "acts.f32"), acts, "<f4")
    raw(os.path.join(out, "recon.f32"), recon, "<f4")
    a64 = acts.astype(np.float64)
    raw(os.path.join(out, "fire_count.i64"), fires.sum(axis=0), "<i8")
    raw(os.path.join(out, "sum.f64"), a64.sum(axis=0), "<f8")
    raw(os.path.join(out, "sum_sq.f64"), (a64 * a64).sum(axis=0), "<f8")
    raw(os.path.join(out, "max.f32"), acts.max(axis=0) if rows else np.zeros(d_sae), "<f4")
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump({"d_in": d_in, "d_sae": d_sae, "rows": rows, "nnz": int(fires.sum()),
                   "ties": int(((pre == threshold) & (pre > 0)).sum()),
                   "negative_band": int(((pre > threshold) & (pre <= 0)).sum())}, f)


def recon(out, seed, rows, d_in):
    """x with large per-dimension offsets (centring matters), x_hat a shrunk noisy copy; one zero x row and one
    zero x_hat row exercise the cosine / l2-ratio conventions (a zero vector contributes 0)."""
    rng = np.random.default_rng(seed)
    offsets = rng.standard_normal(d_in) * 20
    x = (rng.standard_normal((rows, d_in)) + offsets).astype(np.float32)
    x_hat = (0.9 * x + rng.standard_normal((rows, d_in)) * 0.3).astype(np.float32)
    x[0] = 0
    x_hat[1] = 0
    l0 = rng.integers(0, 50, size=rows)
    x64, h64 = x.astype(np.float64), x_hat.astype(np.float64)
    err = ((x64 - h64) ** 2).sum()
    total = ((x64 - x64.mean(axis=0)) ** 2).sum()
    xn, hn = np.linalg.norm(x64, axis=1), np.linalg.norm(h64, axis=1)
    dots = (x64 * h64).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cos = np.where(xn * hn > 0, dots / (xn * hn), 0)
        ratio = np.where(xn > 0, hn / xn, 0)
    expected = [l0.mean(), err / (rows * d_in), err / total, 1 - err / total, cos.mean(), ratio.mean(),
                (hn ** 2).mean() / dots.mean(), rows,
                err / rows, err, (xn ** 2).sum(), (hn ** 2).sum(), dots.sum()]
    raw(os.path.join(out, "x_sums.f64"), x64.sum(axis=0), "<f8")
    raw(os.path.join(out, "x.f32"), x, "<f4")
    raw(os.path.join(out, "x_hat.f32"), x_hat, "<f4")
    raw(os.path.join(out, "l0.i64"), l0, "<i8")
    raw(os.path.join(out, "expected.f64"), np.array(expected, dtype=np.float64), "<f8")


def write_safetensors(path, tensors, dtype, metadata=None):
    """The safetensors layout by hand: u64 LE header length, JSON header, raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        blob = encode_dtype(array, dtype).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes with spaces
    with open(path, "wb") as f:
        f.write(np.uint64(len(text)).astype("<u8").tobytes())
        f.write(text)
        for blob in blobs:
            f.write(blob)


def encode_dtype(array, dtype):
    a = np.ascontiguousarray(array, dtype=np.float32)
    if dtype == "F32":
        return a.astype("<f4")
    if dtype == "F16":
        return a.astype("<f2")
    if dtype == "BF16":  # round to nearest even on the upper 16 bits
        bits = a.view(np.uint32).astype(np.uint64)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
        return rounded.astype("<u2")
    raise ValueError(dtype)


def decode_dtype(array, dtype):
    """What a reader gets back: the float32 values the file really holds."""
    encoded = encode_dtype(array, dtype)
    if dtype == "BF16":
        return (encoded.astype(np.uint32) << 16).view(np.float32)
    return encoded.astype(np.float32)


def saelens(out, seed, arch, k, apply_b_dec, norm, dtype, d_in, d_sae, rows):
    """An SAELens directory plus the expected codes and reconstruction, computed with SAELens' math in float64.
    Inputs are resampled until every pre-activation is >= 1e-3 from each decision boundary (0, the threshold,
    the k-th / k+1-th gap), so float32 summation order cannot change which features are active."""
    rng = np.random.default_rng(seed)
    w_enc = decode_dtype(rng.standard_normal((d_in, d_sae)) / np.sqrt(d_in), dtype)
    w_dec = decode_dtype(rng.standard_normal((d_sae, d_in)) / np.sqrt(d_sae), dtype)
    b_enc = decode_dtype(rng.standard_normal(d_sae) * 0.1, dtype)
    b_dec = decode_dtype(rng.standard_normal(d_in) * 0.5, dtype)
    threshold = decode_dtype(np.abs(rng.standard_normal(d_sae)) * 0.5, dtype)
    offsets = rng.standard_normal(d_in) * 3

    def prepare(x):
        x = x.astype(np.float64)
        if norm == "constant_norm_rescale":
            coeff = np.sqrt(d_in) / np.linalg.norm(x, axis=1, keepdims=True)
            x, undo = x * coeff, (1 / coeff, 0)
        elif norm == "layer_norm":
            mu = x.mean(axis=1, keepdims=True)
            std = (x - mu).std(axis=1, ddof=1, keepdims=True)
            x, undo = (x - mu) / (std + 1e-5), (std, mu)
        else:
            undo = (1, 0)
        if apply_b_dec:
            x = x - b_dec
        return x, undo

    def violations(pre):
        bad = (np.abs(pre) < 1e-3).any(axis=1)
        if arch == "jumprelu":
            bad |= (np.abs(pre - threshold) < 1e-3).any(axis=1)
        if arch == "topk":
            s = -np.sort(-pre, axis=1)
            bad |= (s[:, k - 1] - s[:, k]) < 1e-3
        return bad

    x = (rng.standard_normal((rows, d_in)) + offsets).astype(np.float32)
    for _ in range(1000):
        pre = prepare(x)[0] @ w_enc.astype(np.float64) + b_enc
        bad = violations(pre)
        if not bad.any():
            break
        x[bad] = (rng.standard_normal((bad.sum(), d_in)) + offsets).astype(np.float32)
    else:
        raise SystemExit("could not find inputs with margins")
    sae_in, (scale, shift) = prepare(x)
    pre = sae_in @ w_enc.astype(np.float64) + b_enc
    if arch == "standard":
        acts = np.maximum(pre, 0)
    elif arch == "jumprelu":
        acts = np.maximum(pre, 0) * (pre > threshold)
    else:
        order = np.argsort(-pre, axis=1, kind="stable")[:, :k]
        acts = np.zeros_like(pre)
        np.put_along_axis(acts, order, np.maximum(np.take_along_axis(pre, order, axis=1), 0), axis=1)
    recon = (acts @ w_dec.astype(np.float64) + b_dec) * scale + shift

    os.makedirs(out, exist_ok=True)
    cfg = {"architecture": "standard" if arch == "topk" and k % 2 else arch, "d_in": d_in, "d_sae": d_sae,
           "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": bool(apply_b_dec),
           "normalize_activations": norm, "hook_name": "blocks.3.hook_resid_post",
           "metadata": {"model_name": "gemma-2-2b", "hook_name": "blocks.3.hook_resid_post"}}
    if arch == "topk":
        if k % 2:  # older SAELens: architecture standard with a topk activation_fn
            cfg["activation_fn_str"] = "topk"
            cfg["activation_fn_kwargs"] = {"k": k}
        else:
            cfg["k"] = k
    else:
        cfg["activation_fn_str"] = "relu"
    with open(os.path.join(out, "cfg.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    tensors = {"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec}
    if arch == "jumprelu":
        tensors["threshold"] = threshold
    write_safetensors(os.path.join(out, "sae_weights.safetensors"), tensors, dtype, {"format": "pt"})
    raw(os.path.join(out, "x.f32"), x, "<f4")
    raw(os.path.join(out, "acts.f32"), acts, "<f4")
    raw(os.path.join(out, "recon.f32"), recon, "<f4")
    raw(os.path.join(out, "w_enc.f32"), w_enc, "<f4")
    raw(os.path.join(out, "b_enc.f32"), b_enc, "<f4")


def saelens_bad(out):
    """Broken SAELens directories, each derived from a good jumprelu one."""
    import shutil
    good = os.path.join(out, "good")
    saelens(good, 5, "jumprelu", 0, True, "none", "F32", 6, 10, 4)

    def variant(name, cfg_change=None, tensors_change=None, truncate=False):
        path = os.path.join(out, name)
        shutil.copytree(good, path)
        if cfg_change:
            with open(os.path.join(path, "cfg.json")) as f:
                cfg = json.load(f)
            cfg.update(cfg_change)
            with open(os.path.join(path, "cfg.json"), "w") as f:
                json.dump(cfg, f)
        if tensors_change is not None:
            write_safetensors(os.path.join(path, "sae_weights.safetensors"), tensors_change, "F32")
        if truncate:
            weights = os.path.join(path, "sae_weights.safetensors")
            with open(weights, "rb") as f:
                data = f.read()
            with open(weights, "wb") as f:
                f.write(data[: len(data) - 20])

    rng = np.random.default_rng(0)
    t = dict(W_enc=rng.standard_normal((6, 10)), W_dec=rng.standard_normal((10, 6)), b_enc=np.zeros(10),
             b_dec=np.zeros(6), threshold=np.full(10, 0.1))
    variant("width_mismatch", cfg_change={"d_in": 7})
    variant("gated", cfg_change={"architecture": "gated"})
    variant("topk_without_k", cfg_change={"architecture": "topk"})
    variant("missing_threshold", tensors_change={k: v for k, v in t.items() if k != "threshold"})
    nan = dict(t)
    nan["W_dec"] = t["W_dec"].copy()
    nan["W_dec"][2, 3] = np.nan
    variant("nan_w_dec", tensors_change=nan)
    variant("truncated", truncate=True)


def bad(out):
    rng = np.random.default_rng(3)
    d_in, d_sae = 6, 10
    good = dict(W_enc=rng.standard_normal((d_in, d_sae)).astype(np.float32),
                W_dec=rng.standard_normal((d_sae, d_in)).astype(np.float32),
                b_enc=np.zeros(d_sae, np.float32), b_dec=np.zeros(d_in, np.float32),
                threshold=np.full(d_sae, 0.1, np.float32))

    def variant(name, **changes):
        arrays = dict(good)
        arrays.update(changes)
        arrays = {k: v for k, v in arrays.items() if v is not None}
        np.savez(os.path.join(out, name + ".npz"), **arrays)

    variant("good")
    variant("missing_threshold", threshold=None)
    variant("wrong_shape_w_dec", W_dec=good["W_dec"][:, :5])
    variant("transposed_w_dec", W_dec=good["W_dec"].T.copy())
    variant("wrong_shape_b_enc", b_enc=np.zeros(d_sae + 1, np.float32))
    variant("w_enc_rank1", W_enc=good["W_enc"].ravel())
    nan = good["W_dec"].copy()
    nan[3, 4] = np.nan
    variant("nan_w_dec", W_dec=nan)
    inf = good["threshold"].copy()
    inf[7] = np.inf
    variant("inf_threshold", threshold=inf)
    variant("complex_b_dec", b_dec=np.zeros(d_in, np.complex64))
    with open(os.path.join(out, "good.npz"), "rb") as f:
        data = f.read()
    with open(os.path.join(out, "truncated_file.npz"), "wb") as f:
        f.write(data[: len(data) // 2])
    # a well-formed zip whose W_dec entry holds fewer bytes than its header's shape promises
    buf = io.BytesIO()
    np.save(buf, good["W_dec"])
    with zipfile.ZipFile(os.path.join(out, "truncated_entry.npz"), "w") as z:
        for k, v in good.items():
            if k == "W_dec":
                z.writestr("W_dec.npy", buf.getvalue()[:-10])
            else:
                b = io.BytesIO()
                np.save(b, v)
                z.writestr(k + ".npy", b.getvalue())
    with open(os.path.join(out, "not_a_zip.npz"), "wb") as f:
        f.write(b"hello, not a zip archive at all")


def log_edges(per_decade):
    # (float) 10^(-3 + i / per_decade), from 1e-3 to 1e3
    return np.array([10.0 ** (-3 + i / per_decade) for i in range(6 * per_decade + 1)], dtype=np.float64) \
        .astype(np.float32)


def sample_keys(docs, pos):
    # SplitMix64 finaliser of doc * 0x9E3779B97F4A7C15 + pos, wrapping uint64, compared as signed int64
    with np.errstate(over="ignore"):
        z = docs.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + pos.astype(np.int64).astype(np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return z.view(np.int64)


def log_stats(out, rows, d_sae, per_interval):
    acts = np.fromfile(os.path.join(out, "acts.f32"), dtype="<f4").reshape(rows, d_sae)
    docs = np.fromfile(os.path.join(out, "docs.i64"), dtype="<i8")
    pos = np.fromfile(os.path.join(out, "pos.i32"), dtype="<i4")
    hist, sample_rows = histograms_and_samples(acts, docs, pos, per_interval)
    raw(os.path.join(out, "hist.i64"), hist, "<i8")
    raw(os.path.join(out, "samples_ids.i64"), np.array([(a, b, c, d) for a, b, c, d, _ in sample_rows],
                                                       dtype=np.int64).reshape(-1, 4), "<i8")
    raw(os.path.join(out, "samples_act.f32"), np.array([e for *_, e in sample_rows], dtype=np.float32), "<f4")


def histograms_and_samples(acts, docs, pos, per_interval):
    """Per feature the counts over the 10-per-decade bins, and the interval samples as rows
    (feature, interval, doc, pos, activation), best first within each interval."""
    d_sae = acts.shape[1]
    hist_edges = log_edges(10)
    hist = np.zeros((d_sae, len(hist_edges) + 1), dtype=np.int64)
    interval_edges = log_edges(2)
    keys = sample_keys(docs, pos)
    sample_rows = []
    for f in range(d_sae):
        fired = np.nonzero(acts[:, f] > 0)[0]
        values = acts[fired, f]
        hist[f] = np.bincount(np.searchsorted(hist_edges, values, side="right"), minlength=hist.shape[1])
        intervals = np.searchsorted(interval_edges, values, side="right")
        for interval in np.unique(intervals):
            members = fired[intervals == interval]
            order = np.lexsort((pos[members], docs[members], keys[members]))  # key, then doc, then pos
            kept = members[order[:per_interval]]
            # report best first: activation desc, doc, pos
            kept = kept[np.lexsort((pos[kept], docs[kept], -acts[kept, f].astype(np.float64)))]
            for r in kept:
                sample_rows.append((f, interval, docs[r], pos[r], acts[r, f]))
    return hist, sample_rows


def write_distributions(d, acts, docs, pos):
    """histograms.csv and interval_samples.csv as scopeflow stats writes them: firing features only, floats as
    the float32 values' repr (Java parses them to the same float), the open upper edge as Infinity."""
    hist, sample_rows = histograms_and_samples(acts.astype(np.float32), docs, pos, 5)

    def edges(per_decade, i):
        e = log_edges(per_decade)
        low = 0.0 if i == 0 else float(e[i - 1])
        return repr(low), repr(float(e[i])) if i < len(e) else "Infinity"

    with open(os.path.join(d, "histograms.csv"), "w") as f:
        f.write("feature,bin,lower_edge,upper_edge,count\n")
        for j, b in zip(*np.nonzero(hist)):
            low, high = edges(10, b)
            f.write(f"{j},{b},{low},{high},{hist[j, b]}\n")
    with open(os.path.join(d, "interval_samples.csv"), "w") as f:
        f.write("feature,interval_index,lower_edge,upper_edge,sample_rank,doc,pos,activation\n")
        rank, previous = 0, None
        for j, interval, doc, p, a in sample_rows:
            rank = rank + 1 if previous == (j, interval) else 1
            previous = (j, interval)
            low, high = edges(2, interval)
            f.write(f"{j},{interval},{low},{high},{rank},{doc},{p},{float(a)!r}\n")


def stats_run(out, seed, n_seq, seq_len, d_in, d_sae, top_k, dense_threshold):
    rng = np.random.default_rng(seed)
    x = rng.integers(-8, 9, size=(n_seq, seq_len, d_in)).astype(np.float32) / 8
    x[rng.random(x.shape) < 0.2] = 0
    w_enc = rng.integers(-16, 17, size=(d_in, d_sae)).astype(np.float32) / 64
    w_dec = rng.integers(-16, 17, size=(d_sae, d_in)).astype(np.float32) / 64
    b_enc = rng.integers(-48, 9, size=d_sae).astype(np.float32) / 64
    b_dec = rng.integers(-32, 33, size=d_in).astype(np.float32) / 64
    threshold = rng.integers(0, 33, size=d_sae).astype(np.float32) / 64
    threshold[: d_sae // 10] = 1e6  # some dead features
    threshold[d_sae // 10: d_sae // 5] = 0  # some dense ones
    lengths = rng.integers(1, seq_len + 1, size=n_seq)
    lengths[0] = seq_len
    mask = (np.arange(seq_len)[None, :] < lengths[:, None]).astype(np.int64)
    tokens = [[2] + [int(t) for t in rng.integers(3, 1000, size=n - 1)] for n in lengths]
    tokens[1][len(tokens[1]) // 2] = 2  # a BOS mid-sequence: excluded by id, not by position
    x[mask == 0] = 0  # capture writes zeros past a sequence's end
    np.savez(os.path.join(out, "params.npz"), W_enc=w_enc, W_dec=w_dec, b_enc=b_enc, b_dec=b_dec,
             threshold=threshold)
    os.makedirs(os.path.join(out, "saelens"), exist_ok=True)
    write_safetensors(os.path.join(out, "saelens", "sae_weights.safetensors"),
                      {"W_enc": w_enc, "W_dec": w_dec, "b_enc": b_enc, "b_dec": b_dec, "threshold": threshold}, "F32")
    with open(os.path.join(out, "saelens", "cfg.json"), "w") as f:
        json.dump({"architecture": "jumprelu", "d_in": d_in, "d_sae": d_sae, "apply_b_dec_to_input": False,
                   "normalize_activations": "none"}, f)
    np.save(os.path.join(out, "activations.npy"), x)
    np.save(os.path.join(out, "attention_mask.npy"), mask)
    with open(os.path.join(out, "tokens.json"), "w") as f:
        json.dump(tokens, f)

    docs, positions = np.meshgrid(np.arange(n_seq), np.arange(seq_len), indexing="ij")
    is_bos = np.zeros((n_seq, seq_len), dtype=bool)
    for s, ids in enumerate(tokens):
        is_bos[s, : len(ids)] = np.array(ids) == 2
    variants = {"all": np.ones((n_seq, seq_len), dtype=bool), "filtered": (mask != 0) & ~is_bos}
    for name, counted in variants.items():
        d = os.path.join(out, "expected_" + name)
        os.makedirs(d, exist_ok=True)
        xs = x[counted].astype(np.float64)
        doc, pos = docs[counted], positions[counted]
        pre = xs @ w_enc.astype(np.float64) + b_enc
        acts = np.where((pre > threshold) & (pre > 0), pre, 0.0)
        fires = acts > 0
        n = len(xs)
        fire_count = fires.sum(axis=0)
        act_sum = acts.sum(axis=0)
        act_max = acts.max(axis=0) if n else np.zeros(d_sae)
        with open(os.path.join(d, "features.csv"), "w") as f:
            f.write("feature,fire_count,density,sum,max,mean_when_firing\n")
            for j in range(d_sae):
                mean = act_sum[j] / fire_count[j] if fire_count[j] else 0.0
                f.write(f"{j},{fire_count[j]},{fire_count[j] / n},{float(act_sum[j])!r},{float(act_max[j])!r},{float(mean)!r}\n")
        with open(os.path.join(d, "top_examples.csv"), "w") as f:
            f.write("feature,rank,doc,pos,activation\n")
            for j in range(d_sae):
                rows = np.nonzero(fires[:, j])[0]
                rows = rows[np.lexsort((pos[rows], doc[rows], -acts[rows, j]))][:top_k]
                for rank, r in enumerate(rows, start=1):
                    f.write(f"{j},{rank},{doc[r]},{pos[r]},{float(acts[r, j])!r}\n")
        write_distributions(d, acts, doc, pos)
        recon = acts @ w_dec.astype(np.float64) + b_dec
        err = ((xs - recon) ** 2).sum()
        centred = ((xs - xs.mean(axis=0)) ** 2).sum()
        xn, rn = np.linalg.norm(xs, axis=1), np.linalg.norm(recon, axis=1)
        dots = (xs * recon).sum(axis=1)
        cos = np.where(xn * rn > 0, dots / np.where(xn * rn > 0, xn * rn, 1), 0.0)
        density = fire_count / n
        ratio = np.where(xn > 0, rn / np.where(xn > 0, xn, 1), 0.0)
        summary = {"n_tokens": int(n), "l0": float(fires.sum(axis=1).mean()), "mse": float(err / (n * d_in)),
                   "mse_per_token": float(err / n),
                   "fvu": float(err / centred), "explained_variance": float(1 - err / centred),
                   "cosine": float(cos.mean()), "l2_ratio": float(ratio.mean()),
                   "relative_reconstruction_bias": float((rn ** 2).sum() / dots.sum()),
                   "dead": int((fire_count == 0).sum()),
                   "dense": int((density > dense_threshold).sum()), "frac_alive": float((fire_count > 0).mean())}
        with open(os.path.join(d, "summary.json"), "w") as f:
            json.dump(summary, f)


def logit_effects(out, seed, d_in, d_sae, vocab, k, kind):
    rng = np.random.default_rng(seed)
    while True:
        if kind == "ties":
            w_dec = rng.integers(-4, 5, size=(d_sae, d_in)).astype(np.float32) / 8
            w_u = rng.integers(-2, 3, size=(vocab, d_in)).astype(np.float32) / 4
            w_u[1::7] = w_u[0]  # identical rows: identical logits for every feature
            w_dec[3] = 0  # every token ties at 0
        else:
            w_dec = (rng.standard_normal((d_sae, d_in)) / np.sqrt(d_in)).astype(np.float32)
            w_u = rng.standard_normal((vocab, d_in)).astype(np.float32)
        logits = w_dec.astype(np.float64) @ w_u.astype(np.float64).T
        tokens = np.arange(vocab)
        high = np.array([np.lexsort((tokens, -row))[:k] for row in logits])
        low = np.array([np.lexsort((tokens, row))[:k] for row in logits])
        if kind == "ties":
            break
        extremes = np.concatenate([np.sort(logits, axis=1)[:, :k + 1], np.sort(logits, axis=1)[:, -k - 1:]], axis=1)
        if (np.diff(np.sort(extremes, axis=1), axis=1) > 1e-4).all():
            break
    rows = np.arange(d_sae)[:, None]
    raw(os.path.join(out, "w_dec.f32"), w_dec, "<f4")
    raw(os.path.join(out, "w_u.f32"), w_u, "<f4")
    raw(os.path.join(out, "high_tokens.i64"), high, "<i8")
    raw(os.path.join(out, "high_values.f64"), logits[rows, high], "<f8")
    raw(os.path.join(out, "low_tokens.i64"), low, "<i8")
    raw(os.path.join(out, "low_values.f64"), logits[rows, low], "<f8")
    with open(os.path.join(out, "meta.json"), "w") as f:
        # how many listed ranks have a value equal to the next rank's: the tie rule must decide those
        json.dump({"tied_ranks": int((np.diff(logits[rows, high], axis=1) == 0).sum()
                                     + (np.diff(logits[rows, low], axis=1) == 0).sum())}, f)


if __name__ == "__main__":
    mode, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if mode == "sae":
        sae(out, int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
    elif mode == "recon":
        recon(out, int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "saelens":
        a = sys.argv
        saelens(out, int(a[3]), a[4], int(a[5]), a[6] == "1", a[7], a[8], int(a[9]), int(a[10]), int(a[11]))
    elif mode == "saelens-bad":
        saelens_bad(out)
    elif mode == "bad":
        bad(out)
    elif mode == "stats-run":
        a = sys.argv
        stats_run(out, int(a[3]), int(a[4]), int(a[5]), int(a[6]), int(a[7]), int(a[8]), float(a[9]))
    elif mode == "logit-effects":
        a = sys.argv
        logit_effects(out, int(a[3]), int(a[4]), int(a[5]), int(a[6]), int(a[7]), a[8])
    elif mode == "log-stats":
        log_stats(out, int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit("unknown mode " + mode)
