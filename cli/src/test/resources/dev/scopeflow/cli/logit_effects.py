"""Fixtures and the independent check for `scopeflow logit-effects`, in numpy.

Usage: python3 logit_effects.py make <dir> <seed> <hidden> <d_sae> <vocab>
         <dir>/model: a Gemma 2 checkpoint in the HF layout (config.json, two BF16 safetensors shards named by
         model.safetensors.index.json, the tied model.embed_tokens.weight among other tensors), a word-level
         tokenizer.json whose tokens include a comma, quotes and a newline; <dir>/params.npz: a Gemma Scope SAE
       python3 logit_effects.py check <dir> <csv> <k> <with_token_text 0|1>
         recomputes W_dec · W_Uᵀ by brute force in float64 on the bf16 values the file holds, and compares
         every row of the CSV (exits non-zero with the first difference)
"""
import csv
import json
import os
import sys

import numpy as np


def bf16(array):
    """Round to nearest even on the upper 16 bits: (the stored uint16, the float32 value it holds)."""
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32).astype(np.uint64)
    stored = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
    return stored, (stored.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        blob = bf16(array)[0].tobytes()
        header[name] = {"dtype": "BF16", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(np.uint64(len(text)).astype("<u8").tobytes())
        f.write(text)
        for blob in blobs:
            f.write(blob)


def vocabulary(vocab):
    words = ["<pad>", "<eos>", "<bos>", "<unk>", "a,b", 'say "hi"', "line\nbreak"]
    return words + ["w%d" % i for i in range(len(words), vocab)]


def make(out, seed, hidden, d_sae, vocab):
    rng = np.random.default_rng(seed)
    model = os.path.join(out, "model")
    os.makedirs(model, exist_ok=True)
    while True:  # no two listed values within 1e-4: float32 summation order cannot reorder a ranking
        w_dec = (rng.standard_normal((d_sae, hidden)) / np.sqrt(hidden)).astype(np.float32)
        embed = rng.standard_normal((vocab, hidden)).astype(np.float32)
        logits = np.sort(w_dec.astype(np.float64) @ bf16(embed)[1].astype(np.float64).T, axis=1)
        extremes = np.sort(np.concatenate([logits[:, :11], logits[:, -11:]], axis=1), axis=1)
        if (np.diff(extremes, axis=1) > 1e-4).all():
            break
    config = {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": hidden,
              "intermediate_size": 2 * hidden, "num_hidden_layers": 1, "num_attention_heads": 2,
              "num_key_value_heads": 1, "head_dim": 8, "vocab_size": vocab, "rms_norm_eps": 1e-6,
              "rope_theta": 10000.0, "query_pre_attn_scalar": 8, "attn_logit_softcapping": 50.0,
              "final_logit_softcapping": 30.0, "sliding_window": 4, "hidden_activation": "gelu_pytorch_tanh",
              "pad_token_id": 0, "bos_token_id": 2, "eos_token_id": 1, "tie_word_embeddings": True,
              "torch_dtype": "bfloat16"}
    with open(os.path.join(model, "config.json"), "w") as f:
        json.dump(config, f)
    shards = {"model-00001-of-00002.safetensors": {
                  "model.embed_tokens.weight": embed,
                  "model.layers.0.input_layernorm.weight": np.zeros(hidden, np.float32)},
              "model-00002-of-00002.safetensors": {
                  "model.norm.weight": np.zeros(hidden, np.float32)}}
    weight_map = {}
    for shard, tensors in shards.items():
        write_safetensors(os.path.join(model, shard), tensors)
        weight_map.update({name: shard for name in tensors})
    with open(os.path.join(model, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f)
    tokenizer = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
                 "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None, "decoder": None,
                 "model": {"type": "WordLevel", "unk_token": "<unk>",
                           "vocab": {w: i for i, w in enumerate(vocabulary(vocab))}}}
    with open(os.path.join(model, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f)
    np.savez(os.path.join(out, "params.npz"), W_enc=np.ascontiguousarray(w_dec.T), W_dec=w_dec,
             b_enc=np.zeros(d_sae, np.float32), b_dec=np.zeros(hidden, np.float32),
             threshold=np.zeros(d_sae, np.float32))


def check(out, csv_path, k, with_text):
    params = np.load(os.path.join(out, "params.npz"))
    w_dec = params["W_dec"].astype(np.float64)
    # the checkpoint holds bf16: read its bytes back the way a reader must
    path = os.path.join(out, "model", "model-00001-of-00002.safetensors")
    with open(path, "rb") as f:
        n = int(np.frombuffer(f.read(8), "<u8")[0])
        entry = json.loads(f.read(n))["model.embed_tokens.weight"]
        begin, end = entry["data_offsets"]
        f.seek(8 + n + begin)
        stored = np.frombuffer(f.read(end - begin), "<u2").reshape(entry["shape"])
    w_u = (stored.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    logits = w_dec @ w_u.T
    vocab = vocabulary(w_u.shape[0])
    tokens = np.arange(w_u.shape[0])
    expected = []
    for f, row in enumerate(logits):
        for direction, order in (("+", np.lexsort((tokens, -row))), ("-", np.lexsort((tokens, row)))):
            for rank, t in enumerate(order[:k]):
                expected.append((f, direction, rank + 1, int(t), vocab[t] if with_text else "", row[t]))
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["feature", "direction", "rank", "token_id", "token", "value"], rows[0]
    assert len(rows) - 1 == len(expected), f"{len(rows) - 1} rows, expected {len(expected)}"
    for i, (row, want) in enumerate(zip(rows[1:], expected)):
        got = (int(row[0]), row[1], int(row[2]), int(row[3]), row[4])
        assert got == want[:5], f"row {i + 1}: {row} != {want}"
        assert abs(float(row[5]) - want[5]) <= 1e-5 * max(1.0, abs(want[5])), f"row {i + 1}: {row} != {want}"
    if with_text:  # the fixture must reach the CSV quoting
        assert any(set(row[4]) & set(',"\n') for row in rows[1:]), "no listed token needs CSV quoting"
    print(f"ok: {len(expected)} rows")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], *(int(a) for a in sys.argv[3:7]))
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1")
    else:
        sys.exit("unknown mode " + sys.argv[1])
