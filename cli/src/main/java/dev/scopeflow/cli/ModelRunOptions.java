package dev.scopeflow.cli;

import dev.scopeflow.schemas.ComputeDevice;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of a command that runs Gemma 2 over token sequences ({@code capture}, {@code eval}): the checkpoint,
 * the input (text cut into windows, or token lists as they are), batch size, window length and device.
 */
final class ModelRunOptions {

    @Option(
            names = "--model",
            required = true,
            description = "Hugging Face checkpoint directory (config.json, *.safetensors).")
    Path model;

    @ArgGroup(multiplicity = "1")
    Input input;

    static final class Input {
        @Option(
                names = "--text",
                description = "Text file, one document per line (tokenized with BOS, cut into context windows).")
        Path text;

        @Option(names = "--tokens", description = "JSON list of token-id lists, used as-is (no BOS added).")
        Path tokens;
    }

    @Option(
            names = "--batch-size",
            defaultValue = "8",
            description = "Sequences per forward (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--context-length",
            defaultValue = "1024",
            description = "Tokens per context window for --text (default: ${DEFAULT-VALUE}).")
    int contextLength;

    @Mixin
    DeviceOption device;

    Path text() {
        return input.text;
    }

    Path tokens() {
        return input.tokens;
    }

    ComputeDevice computeDevice() {
        return device.computeDevice();
    }
}
