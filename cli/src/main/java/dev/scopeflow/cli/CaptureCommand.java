package dev.scopeflow.cli;

import dev.scopeflow.producers.capture.CaptureExport;
import dev.scopeflow.producers.capture.CaptureRequest;
import dev.scopeflow.schemas.Site;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    ModelRunOptions modelRun;

    @Option(names = "--sites", required = true, split = ",", description = "Sites, e.g. res.3,att.1,mlp.0.")
    List<String> sites;

    @Option(names = "--format", defaultValue = "npy", description = "Output format (only npy).")
    String format;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--logits", description = "Also write logits.npy (loads every layer).")
    boolean logits;

    @Override
    public Integer call() {
        if (!format.equals("npy")) {
            throw new IllegalArgumentException("--format " + format + " is not supported (only npy)");
        }
        CaptureRequest.Builder request = CaptureRequest.builder()
                .setModel(modelRun.model)
                .setOutDir(out)
                .setSites(sites.stream().map(Site::parse).toList())
                .optBatchSize(modelRun.batchSize)
                .optContextLength(modelRun.contextLength)
                .optDevice(modelRun.computeDevice())
                .optLogits(logits);
        if (modelRun.text() != null) {
            request.setTextFile(modelRun.text());
        } else {
            request.setTokensFile(modelRun.tokens());
        }
        CaptureExport.Result result = CaptureExport.run(request.build());
        System.out.printf(
                "captured %d sequences x %d positions (%d tokens) in %.1f s; widths %s%n",
                result.sequences(), result.seqLen(), result.tokens(), result.seconds(), result.widths());
        result.files().forEach(f -> System.out.println("  " + f));
        return 0;
    }
}
