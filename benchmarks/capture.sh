#!/usr/bin/env bash
# `scopeflow capture` as a user runs it (its own JVM: start, checkpoint load, forward, .npy written) on a
# Gemma-2-2B-shaped float32 checkpoint with random weights: marginal tokens/s, fixed cost and peak RSS against the
# float32 size of the tensors it loads (issue 14; BENCHMARKS.md, "Producers: capture against HF eager").
#
#   benchmarks/capture.sh [layers=4] [site=res.<layers-1>] [small=16] [large=80] [rounds=1]
#
# Each round runs capture on `small` and on `large` sequences of SEQ_LEN tokens (random ids after BOS), batch BATCH:
# marginal = (tokens(large) - tokens(small)) / (t(large) - t(small)); fixed cost = t(small) - tokens(small) / marginal.
# Peak RSS is the kernel's (/usr/bin/time's maximum resident set size) of the large run.
# Env: WORK (default target/capture-bench), SHARDS (default 1; the published 2B is 3 shards), VOCAB (256000),
# SEQ_LEN (128), BATCH (8), SCOPEFLOW (the launcher to time, default ./scopeflow). The checkpoint is written once per
# (layers, vocab, shards) and reused: 3.6 GB for 4 layers, 10.5 GB for all 26.
set -euo pipefail
cd "$(dirname "$0")/.."
layers="${1:-4}" site="${2:-res.$((${1:-4} - 1))}" small="${3:-16}" large="${4:-80}" rounds="${5:-1}"
work="${WORK:-target/capture-bench}" shards="${SHARDS:-1}" vocab="${VOCAB:-256000}"
seq_len="${SEQ_LEN:-128}" batch="${BATCH:-8}" scopeflow="${SCOPEFLOW:-./scopeflow}"
model="$work/gemma2b-${layers}l-v${vocab}-${shards}s"
mkdir -p "$work"

"$scopeflow" --help >/dev/null # builds once, outside the timing
if [[ ! -f $model/config.json ]]; then
    mvn -B -q -o -pl producers -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
        -Dmdep.excludeGroupIds=dev.scopeflow -Dmdep.outputFile="$PWD/$work/classpath.txt"
    echo "writing $model ..." >&2
    java -cp "$(cat "$work/classpath.txt"):schemas/target/classes:producers/target/classes:producers/target/test-classes" \
        dev.scopeflow.producers.testing.Gemma2bShapedCheckpoint "$model.tmp" "$layers" "$vocab" f32 "$shards"
    mv "$model.tmp" "$model"
fi

# The float32 bytes of what capture loads for $site: the embedding and layers 0..site's layer (every layer and the
# final norm only when the site needs them all), read from the safetensors headers.
loaded_bytes="$(python3 - "$model" "$site" <<'PY'
import glob, json, re, struct, sys
model, site = sys.argv[1], sys.argv[2]
last = int(site.split(".")[1])
total = 0
for path in glob.glob(f"{model}/*.safetensors"):
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    for name, info in header.items():
        if name == "__metadata__":
            continue
        layer = re.match(r"model\.layers\.(\d+)\.", name)
        if name == "model.embed_tokens.weight" or (layer and int(layer.group(1)) <= last):
            n = 1
            for d in info["shape"]:
                n *= d
            total += 4 * n
print(total)
PY
)"

for n in "$small" "$large"; do
    [[ -f $work/tokens-$n-$seq_len.json ]] || python3 - "$n" "$seq_len" "$vocab" "$work/tokens-$n-$seq_len.json" <<'PY'
import json, random, sys
n, t, vocab, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
r = random.Random(1)
json.dump([[2] + [r.randrange(3, vocab) for _ in range(t - 1)] for _ in range(n)], open(out, "w"))
PY
done

run() { # sequences -> "wall_seconds max_rss_kib"
    /usr/bin/time -f '%e %M' -o "$work/time.txt" "$scopeflow" capture --model "$model" \
        --tokens "$work/tokens-$1-$seq_len.json" --sites "$site" --batch-size "$batch" --out "$work/out" \
        >"$work/capture-$1.log" 2>&1 || { cat "$work/capture-$1.log" >&2; exit 1; }
    cat "$work/time.txt"
}

echo "capture $site of $model ($layers layers, vocab $vocab, $shards shards), batch $batch x $seq_len"
printf 'loaded float32 tensors: %.2f GiB\n' "$(echo "$loaded_bytes / 1073741824" | bc -l)"
echo "$(nproc) cores, $(uname -m), $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= rounds; r++)); do
    read -r t_small rss_small <<<"$(run "$small")"
    read -r t_large rss_large <<<"$(run "$large")"
    python3 - "$small" "$large" "$seq_len" "$t_small" "$t_large" "$rss_small" "$rss_large" "$loaded_bytes" "$r" <<'PY'
import sys
small, large, t, ts, tl, rs, rl, loaded, r = sys.argv[1:]
tok_s, tok_l = int(small) * int(t), int(large) * int(t)
marginal = (tok_l - tok_s) / (float(tl) - float(ts))
fixed = float(ts) - tok_s / marginal
peak = max(int(rs), int(rl)) * 1024
print(f"round {r}: {tok_s} tokens in {float(ts):.2f} s, {tok_l} in {float(tl):.2f} s: marginal {marginal:.1f} tokens/s, "
      f"fixed cost {fixed:.1f} s, peak RSS {peak / 2**30:.2f} GiB = {peak / int(loaded):.3f} x the loaded float32")
PY
done
