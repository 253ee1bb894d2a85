package dev.scopeflow.cli;

import dev.scopeflow.schemas.ComputeDevice;
import picocli.CommandLine.Option;

/**
 * {@code --device}, for every command that runs libtorch work: the forward ({@code capture}, {@code produce},
 * {@code eval}) and the TORCH encode kernel ({@code stats}, {@code eval}'s SAEs, the job of {@code run-job} and {@code run}).
 */
final class DeviceOption {

    @Option(
            names = ComputeDevice.OPTION,
            defaultValue = "cpu",
            description = "Where libtorch runs: cpu, cuda (needs a GPU and a -Pcuda build) or auto (the GPU if"
                    + " PyTorch sees one) (default: ${DEFAULT-VALUE}).")
    String device;

    ComputeDevice computeDevice() {
        return ComputeDevice.parse(device);
    }
}
