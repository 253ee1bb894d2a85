#!/usr/bin/env bash
# The forward (producer capture, Gemma-2-2B-shaped layers) and the SAE encode (16k JumpReLU, d_in 2304) on a GPU,
# each timed against a float32 matmul on the same device in the same process (ForwardBenchmark, PairedRatio):
# prints tokens/s and the fraction of the measured matmul rate. See BENCHMARKS.md, "GPU".
#
#   benchmarks/gpu.sh                          # CUDA: build with -Pcuda (offline, from the Maven cache), run
#   benchmarks/gpu.sh --device cpu --dry-run   # the same path on the CPU natives with tiny shapes (a check)
#   benchmarks/gpu.sh --stage DIR              # build here; copy classes + jars (no libtorch) into DIR to carry
#   benchmarks/gpu.sh --prebuilt DIR           # run from a staged DIR, no Maven (libtorch via PYTORCH_LIBRARY_PATH)
#
# Where the CUDA natives come from, in this order:
#   1. PYTORCH_LIBRARY_PATH (DJL's own override): a local libtorch with CUDA, e.g. pip torch 2.7.1+cu128's
#      site-packages/torch/lib. The default build's pytorch-jni 2.7.1-0.36.0 carries the cu128 JNI, so no download
#      happens; PYTORCH_VERSION and PYTORCH_FLAVOR default to 2.7.1 and cu128 here (set them for another build).
#   2. Otherwise -Pcuda: ai.djl.pytorch:pytorch-native-cu124:2.5.1 (linux-x86_64, 2.46 GB) with DJL 0.33.0 from the
#      Maven cache (~/.m2). A machine without internet needs that cache seeded (mvn -Pcuda ... once where Central
#      is reachable, then copy ~/.m2/repository/ai/djl); ONLINE=1 lets Maven download it.
# Env: THREADS (libtorch CPU threads, default nproc), FORWARD_ARGS (layers batch seqLen reps; default "4 8 128 5"),
# ENCODE_ROUNDS (default 30), HEAP (default 8g). Needs python3 + numpy (the forward's checkpoint is written by numpy).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    sed -n '2,10p' "$0" >&2
    exit 2
}
device=cuda dry=0 stage='' prebuilt='' profile=()
while (($#)); do
    case "$1" in
        --device) device="${2:-}"; shift 2 ;;
        --dry-run) dry=1; shift ;;
        --stage) stage="${2:-}"; shift 2 ;;
        --prebuilt) prebuilt="${2:-}"; shift 2 ;;
        *) usage ;;
    esac
done
case "$device" in
    cpu | cuda | auto) ;;
    *) echo "--device '$device' is not one of cpu, cuda, auto" >&2; exit 2 ;;
esac

if [[ $device != cpu && -n ${PYTORCH_LIBRARY_PATH:-} ]]; then
    export PYTORCH_VERSION="${PYTORCH_VERSION:-2.7.1}" PYTORCH_FLAVOR="${PYTORCH_FLAVOR:-cu128}"
fi

if [[ -n $prebuilt ]]; then
    classpath="$prebuilt/classes/producers:$prebuilt/classes/producers-test:$prebuilt/classes/benchmarks"
    classpath="$classpath:$prebuilt/classes/extra:$prebuilt/lib/*"
else
    # DJL uses CUDA natives only where the driver reports CUDA >= theirs (12.4 for cu124); elsewhere it would try to
    # download CPU natives, so -Pcuda is for machines with a GPU only
    if [[ $device != cpu && -z ${PYTORCH_LIBRARY_PATH:-} && -z $stage ]]; then
        if nvidia-smi -L >/dev/null 2>&1; then
            profile=(-Pcuda)
        elif [[ $device == cuda ]]; then
            echo "--device cuda: no NVIDIA GPU here (nvidia-smi -L); --device cpu --dry-run checks the script" >&2
            exit 1
        fi
    fi
    offline=(-o)
    if [[ ${ONLINE:-0} == 1 ]]; then offline=(); fi
    # Maven does not recompile when only the profile changes (DJL 0.36 <-> 0.33): drop the classes built with the other
    if [[ "$(cat target/gpu-build-profile 2>/dev/null)" != "${profile[*]}" ]]; then
        for module in schemas sae-operators local-cluster producers benchmarks; do
            rm -rf "$module/target/classes" "$module/target/test-classes"
        done
    fi
    # One reactor run: sibling modules resolve to their target/classes, so nothing is installed into ~/.m2.
    mvn -B -q "${offline[@]}" "${profile[@]}" -pl producers,benchmarks -am test-compile dependency:build-classpath \
        -Dmdep.includeScope=runtime -Dmdep.outputFile=target/gpu-classpath.txt
    mkdir -p target && printf '%s' "${profile[*]}" >target/gpu-build-profile
    deps="$(cat producers/target/gpu-classpath.txt):$(cat benchmarks/target/gpu-classpath.txt)"
    if [[ -n $stage ]]; then
        rm -rf "$stage" && mkdir -p "$stage/lib" "$stage/classes"
        cp -r producers/target/classes "$stage/classes/producers"
        cp -r producers/target/test-classes "$stage/classes/producers-test"
        cp -r benchmarks/target/classes "$stage/classes/benchmarks"
        mkdir -p "$stage/classes/extra" # the sibling modules' classes (schemas, sae-operators), merged
        tr ':' '\n' <<<"$deps" | sort -u | while read -r entry; do
            # libtorch comes from PYTORCH_LIBRARY_PATH; Kafka, tokenizers and test libraries are not used by the two
            # benchmarks and would push the staged folder past what a device run carries (64 MiB)
            if [[ $(basename "$entry") =~ ^(pytorch-native-|kafka|scala-|zstd-jni|snappy|lz4|byte-buddy|assertj|tokenizers|caffeine|junit|opentest4j) ]]; then
                continue
            fi
            if [[ -d $entry ]]; then cp -r "$entry/." "$stage/classes/extra/"; elif [[ -f $entry ]]; then cp "$entry" "$stage/lib/"; fi
        done
        echo "staged $(du -sh "$stage" | cut -f1) in $stage (no libtorch; run with --prebuilt $stage)"
        exit 0
    fi
    classpath="producers/target/classes:producers/target/test-classes:benchmarks/target/classes:$deps"
fi

if [[ $dry == 1 ]]; then
    forward_args=(1 1 8 1)        # 1 layer, batch 1 x 8 tokens, 1 rep
    encode_args=(3 "$device" 64 512 32) # 3 rounds, d_in 64, d_sae 512, 32 rows
else
    read -r -a forward_args <<<"${FORWARD_ARGS:-4 8 128 5}"
    encode_args=("${ENCODE_ROUNDS:-30}" "$device")
fi
log_dir=target/gpu-bench
mkdir -p "$log_dir"
log="$log_dir/$(date -u +%Y%m%dT%H%M%SZ)-$device.log"
jvm=(java "-Xmx${HEAP:-8g}" "-Dai.djl.pytorch.num_threads=${THREADS:-$(nproc)}" -cp "$classpath")

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), device: $device, dry run: $dry, host: $(hostname)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), cores: $(nproc)"
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu: /'
    else
        echo "gpu: none (no nvidia-smi)"
    fi
    if [[ -n ${PYTORCH_LIBRARY_PATH:-} ]]; then
        echo "natives: PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH (${PYTORCH_VERSION:-?} ${PYTORCH_FLAVOR:-?})"
    elif [[ ${#profile[@]} -gt 0 ]]; then
        echo "natives: -Pcuda (pytorch-native-cu124 2.5.1, DJL 0.33.0)"
    else
        echo "natives: the default build's (pytorch-native-cpu 2.7.1, DJL 0.36.0)"
    fi
    echo "== forward (producer capture): ForwardBenchmark ${forward_args[*]} $device"
    "${jvm[@]}" dev.scopeflow.producers.model.ForwardBenchmark "${forward_args[@]}" "$device"
    echo "== SAE encode: PairedRatio ${encode_args[*]}"
    "${jvm[@]}" dev.scopeflow.benchmarks.PairedRatio "${encode_args[@]}"
} 2>&1 | tee "$log"
echo "== summary (full log: $log)"
grep -E '^(gpu|natives):|^forward |^matmul |^encode|^statistics' "$log"
