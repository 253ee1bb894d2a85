package dev.scopeflow.producers.testing;

import java.nio.file.Path;

/**
 * Writes a Gemma-2-2B-shaped checkpoint with random weights in the published HF layout, for the benchmarks that run
 * the CLI on it ({@code benchmarks/capture.sh}). numpy writes it one tensor at a time, so a full-size 26-layer
 * float32 checkpoint (10.5 GB) needs about 7 GB of memory (the float64 draw of the embedding).
 *
 * <pre>java -cp ... dev.scopeflow.producers.testing.Gemma2bShapedCheckpoint DIR layers [vocab=256000] [dtype=f32]
 * [shards=1]</pre>
 */
public final class Gemma2bShapedCheckpoint {

    private Gemma2bShapedCheckpoint() {}

    public static void main(String[] args) {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: DIR layers [vocab=256000] [dtype=f32] [shards=1]");
        }
        int layers = Integer.parseInt(args[1]);
        int vocab = args.length > 2 ? Integer.parseInt(args[2]) : 256_000;
        String dtype = args.length > 3 ? args[3] : "f32";
        int shards = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        TinyGemma.write(Path.of(args[0]), TinyGemma.gemma2bShapedConfig(layers, vocab), dtype, shards, 1);
    }
}
