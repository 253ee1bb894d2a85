package dev.scopeflow.producers.capture;

import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.Site;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@code scopeflow capture} does: run the checkpoint in {@code model} over either a text file (one document
 * per line, tokenized with BOS and cut into context windows) or a JSON list of token-id lists (used as-is), and
 * write the activations at {@code sites} to {@code outDir}. Built with {@link #builder()}.
 */
public record CaptureRequest(
        Path model,
        Path textFile,
        Path tokensFile,
        List<Site> sites,
        Path outDir,
        int batchSize,
        int contextLength,
        ComputeDevice device,
        boolean logits) {

    public static Builder builder() {
        return new Builder();
    }

    /** Required: {@code setModel}, one of {@code setTextFile}/{@code setTokensFile}, {@code setSites}, {@code setOutDir}. */
    public static final class Builder {
        private Path model;
        private Path textFile;
        private Path tokensFile;
        private List<Site> sites;
        private Path outDir;
        private int batchSize = 8;
        private int contextLength = 1024;
        private ComputeDevice device = ComputeDevice.CPU;
        private boolean logits;

        Builder() {}

        public Builder setModel(Path model) {
            this.model = model;
            return this;
        }

        public Builder setTextFile(Path textFile) {
            this.textFile = textFile;
            return this;
        }

        public Builder setTokensFile(Path tokensFile) {
            this.tokensFile = tokensFile;
            return this;
        }

        public Builder setSites(List<Site> sites) {
            this.sites = List.copyOf(sites);
            return this;
        }

        public Builder setOutDir(Path outDir) {
            this.outDir = outDir;
            return this;
        }

        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder optContextLength(int contextLength) {
            this.contextLength = contextLength;
            return this;
        }

        public Builder optDevice(ComputeDevice device) {
            this.device = device;
            return this;
        }
        /** Also write {@code logits.npy} [n_sequences, seq_len, vocab] (needs every layer). */
        public Builder optLogits(boolean logits) {
            this.logits = logits;
            return this;
        }

        public CaptureRequest build() {
            Objects.requireNonNull(model, "model directory is required");
            Objects.requireNonNull(outDir, "output directory is required");
            if ((textFile == null) == (tokensFile == null)) {
                throw new IllegalArgumentException("give exactly one input: a text file or a tokens JSON file");
            }
            if ((sites == null || sites.isEmpty()) && !logits) {
                throw new IllegalArgumentException("at least one site (e.g. res.3) is required");
            }
            if (batchSize <= 0) {
                throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
            }
            if (contextLength < 2) {
                throw new IllegalArgumentException("context length must be >= 2, got " + contextLength);
            }
            return new CaptureRequest(
                    model,
                    textFile,
                    tokensFile,
                    sites == null ? List.of() : sites,
                    outDir,
                    batchSize,
                    contextLength,
                    device,
                    logits);
        }
    }
}
