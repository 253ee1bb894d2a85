package dev.scopeflow.cli;

import dev.scopeflow.producers.capture.CaptureExport;
import dev.scopeflow.producers.capture.CaptureRequest;
import dev.scopeflow.producers.model.ComputeDevice;
import dev.scopeflow.schemas.Site;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scopeflow capture}: runs a Hugging Face Gemma 2 checkpoint over text or token ids and writes the
 * activations at the given sites as {@code .npy} (see {@link CaptureExport} for the file contract).
 */
@Command(
        name = "capture",
        mixinStandardHelpOptions = true,
        description = "Write Gemma 2 activations at Gemma Scope sites to .npy files (one per site).")
final class CaptureCommand implements Callable<Integer> {

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

    @Option(names = "--sites", required = true, split = ",", description = "Sites, e.g. res.3,att.1,mlp.0.")
    List<String> sites;

    @Option(names = "--format", defaultValue = "npy", description = "Output format (only npy).")
    String format;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

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

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or auto (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--logits", description = "Also write logits.npy (loads every layer).")
    boolean logits;

    @Override
    public Integer call() {
        if (!format.equals("npy")) {
            throw new IllegalArgumentException("--format " + format + " is not supported (only npy)");
        }
        CaptureRequest.Builder request = CaptureRequest.builder()
                .setModel(model)
                .setOutDir(out)
                .setSites(sites.stream().map(Site::parse).toList())
                .optBatchSize(batchSize)
                .optContextLength(contextLength)
                .optDevice(ComputeDevice.parse(device))
                .optLogits(logits);
        if (input.text != null) {
            request.setTextFile(input.text);
        } else {
            request.setTokensFile(input.tokens);
        }
        CaptureExport.Result result = CaptureExport.run(request.build());
        System.out.printf(
                "captured %d sequences x %d positions (%d tokens) in %.1f s; widths %s%n",
                result.sequences(), result.seqLen(), result.tokens(), result.seconds(), result.widths());
        result.files().forEach(f -> System.out.println("  " + f));
        return 0;
    }
}
