package dev.scopeflow.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The corpus a run's documents come from, for {@code enqueue}, {@code produce} and {@code run --model}. */
final class CorpusOptions {

    @Option(
            names = "--corpus",
            required = true,
            description = "Text file (one document per line), *.jsonl/*.json, or a directory (one document per file).")
    Path corpus;

    @Option(
            names = "--jsonl-field",
            defaultValue = "text",
            description = "JSONL field holding the text (default: ${DEFAULT-VALUE}).")
    String jsonlField;
}
