package dev.scopeflow.cli;

import dev.scopeflow.schemas.ActivationDtype;
import picocli.CommandLine.Option;

/**
 * {@code --dtype}, for every command that publishes activations ({@code publish}, {@code produce}, {@code worker},
 * {@code run}): one option, so {@code run} can take either kind of input with the same flag.
 */
final class WireDtypeOption {

    @Option(
            names = "--dtype",
            paramLabel = "bf16|f32",
            defaultValue = "bf16",
            description = "Activation values on the wire: bf16 or f32 (default: ${DEFAULT-VALUE}).")
    String code;

    ActivationDtype dtype() {
        return ActivationDtype.fromCode(code);
    }
}
