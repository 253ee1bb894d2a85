package dev.scopeflow.cli;

import dev.scopeflow.producers.stream.ActivationArrayProducer;
import dev.scopeflow.schemas.ActivationDtype;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.format.ActivationArrayFiles;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options naming an activation array to publish, shared by {@code publish} and {@code run}: the files in the
 * layout {@code scopeflow capture} writes ({@link ActivationArrayFiles}) and how the run records them (the wire
 * dtype is {@link WireDtypeOption}).
 */
final class ActivationArrayOptions {

    @Option(
            names = "--activations",
            required = true,
            description = "Activations .npy [n_seq, seq_len, d] (any float dtype; e.g. capture's res.20.npy): "
                    + "sequence i is document i, index p in it is position p.")
    Path activations;

    @Option(names = "--site", required = true, description = "The site the activations are from, e.g. res.20.")
    String site;

    @Option(
            names = "--tokens",
            description = "tokens.json: one token-id list per sequence (capture's); positions past a list's end are "
                    + "left out. Without it token ids are unknown (-1 in the results), so BOS/pad/EOS cannot be "
                    + "excluded by id: give --mask to leave positions out.")
    Path tokens;

    @Option(
            names = "--mask",
            description = "attention_mask.npy [n_seq, seq_len] (capture's; 0/1, any integer or bool dtype): positions "
                    + "where it is 0 are not published, so no statistic counts them.")
    Path mask;

    @Option(
            names = "--model-id",
            defaultValue = "unknown",
            description = "Model the activations came from, recorded with the run (default: ${DEFAULT-VALUE}).")
    String modelId;

    Site parsedSite() {
        return Site.parse(site);
    }

    /** Reads and cross-checks the files (errors name the file and what is wrong). */
    ActivationArrayFiles read() throws IOException {
        return ActivationArrayFiles.read(activations, mask, tokens);
    }

    ActivationArrayProducer.Settings settings(String runId, ActivationDtype dtype) {
        return ActivationArrayProducer.Settings.of(runId, modelId, parsedSite()).withDtype(dtype);
    }
}
