"""Fixtures and the independent expectation for `scopeflow run` on an activation array, in numpy.

Usage: python3 activation_array_run.py make <dir> <seed> <n_seq> <seq_len> <d_in> <d_sae>
         <dir>/capture: res.npy float32 [n_seq, seq_len, d_in] (junk, not zeros, past each sequence's end),
         attention_mask.npy int64 (capture's: 1 for p < length) with a few real positions set to 0 as well,
         tokens.json (BOS first, then ids >= 3); <dir>/params.npz: a Gemma Scope JumpReLU SAE (some features dead).
         Retries seeds until no counted pre-activation lies within 1e-5 of its threshold (float32 rounding of a
         d_in-term dot product is ~1e-6 here), so the job's float32 summation order cannot flip a fire decision.
       python3 activation_array_run.py expect <dir> <dtype bf16|f32>
         <dir>/expected_nonzeros.csv: doc,position,token_id,feature,activation for every non-zero JumpReLU
         activation (pre = x·W_enc + b_enc in float64 on the values on the wire; act = pre where pre > threshold
         and pre > 0) at every counted position: mask 1, inside the token list, token not pad/EOS/BOS (0, 1, 2:
         the job's default filter); <dir>/expected_tokens.txt: the number of counted positions;
         <dir>/expected_published.txt: the number of published positions (counted ones and BOS).
"""
import csv
import json
import os
import sys

import numpy as np

SPECIAL = (0, 1, 2)


def on_the_wire(x, dtype):
    """bf16: round to nearest even on the upper 16 bits, as the producer does; f32: as is."""
    if dtype == "f32":
        return x.astype(np.float32)
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    stored = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint32)
    return (stored << 16).view(np.float32)


def real(capture):
    """(sequence, position, token) where the mask is 1 and the position is inside the token list: what is published."""
    mask = np.load(os.path.join(capture, "attention_mask.npy"))
    with open(os.path.join(capture, "tokens.json")) as f:
        tokens = json.load(f)
    return [(s, p, t) for s, ids in enumerate(tokens) for p, t in enumerate(ids) if mask[s, p] == 1]


def counted(capture):
    return [(s, p, t) for s, p, t in real(capture) if t not in SPECIAL]


def pre_activations(out, dtype):
    x = on_the_wire(np.load(os.path.join(out, "capture", "res.npy")), dtype).astype(np.float64)
    sae = np.load(os.path.join(out, "params.npz"))
    rows = counted(os.path.join(out, "capture"))
    xs = np.array([x[s, p] for s, p, _ in rows])
    pre = xs @ sae["W_enc"].astype(np.float64) + sae["b_enc"].astype(np.float64)
    return rows, pre, sae["threshold"].astype(np.float64)


def make(out, seed, n_seq, seq_len, d_in, d_sae):
    capture = os.path.join(out, "capture")
    os.makedirs(capture, exist_ok=True)
    for attempt in range(100):
        rng = np.random.default_rng(seed + attempt)
        x = rng.standard_normal((n_seq, seq_len, d_in)).astype(np.float32)
        lengths = rng.integers(seq_len // 2, seq_len + 1, n_seq)
        mask = (np.arange(seq_len)[None, :] < lengths[:, None]).astype(np.int64)
        holes = rng.integers(1, seq_len // 2, (n_seq, 2))
        for s in range(n_seq):
            mask[s, holes[s]] = 0
        tokens = [[2] + [int(t) for t in rng.integers(3, 1000, n - 1)] for n in lengths]
        w_enc = (rng.standard_normal((d_in, d_sae)) / np.sqrt(d_in)).astype(np.float32)
        b_enc = (0.1 * rng.standard_normal(d_sae)).astype(np.float32)
        threshold = rng.uniform(0.0, 1.5, d_sae).astype(np.float32)
        threshold[::13] = 1e6
        np.save(os.path.join(capture, "res.npy"), x)
        np.save(os.path.join(capture, "attention_mask.npy"), mask)
        with open(os.path.join(capture, "tokens.json"), "w") as f:
            json.dump(tokens, f)
        np.savez(os.path.join(out, "params.npz"), W_enc=w_enc, W_dec=np.ascontiguousarray(w_enc.T), b_enc=b_enc,
                 b_dec=(0.1 * rng.standard_normal(d_in)).astype(np.float32), threshold=threshold)
        # thresholds are >= 0, so "pre > threshold" alone decides whether a feature fires
        margins = [np.abs(pre - threshold).min() for pre in (pre_activations(out, d)[1] for d in ("bf16", "f32"))]
        if min(margins) > 1e-5:
            print("ok: seed", seed + attempt)
            return
    sys.exit("no seed within 100 tries keeps every pre-activation 1e-5 away from its threshold")


def expect(out, dtype):
    rows, pre, threshold = pre_activations(out, dtype)
    act = np.where((pre > threshold) & (pre > 0), pre, 0.0).astype(np.float32)
    with open(os.path.join(out, "expected_nonzeros.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["doc", "position", "token_id", "feature", "activation"])
        for i, (s, p, t) in enumerate(rows):
            for feature in np.flatnonzero(act[i]):
                w.writerow([s, p, t, int(feature), repr(float(act[i, feature]))])
    with open(os.path.join(out, "expected_tokens.txt"), "w") as f:
        f.write(str(len(rows)))
    with open(os.path.join(out, "expected_published.txt"), "w") as f:
        f.write(str(len(real(os.path.join(out, "capture")))))
    print("ok:", len(rows), "tokens,", int((act != 0).sum()), "non-zeros")


if __name__ == "__main__":
    mode, directory = sys.argv[1], sys.argv[2]
    if mode == "make":
        make(directory, *(int(a) for a in sys.argv[3:8]))
    elif mode == "expect":
        expect(directory, sys.argv[3])
    else:
        sys.exit("unknown mode " + mode)
