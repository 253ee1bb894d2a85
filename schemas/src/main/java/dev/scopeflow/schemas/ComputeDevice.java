package dev.scopeflow.schemas;

import java.util.Locale;

/**
 * Where libtorch work runs — the Gemma 2 forward and the TORCH encode kernel — as every {@code --device} option
 * names it. CUDA needs a GPU and the PyTorch CUDA natives on the classpath ({@code mvn -Pcuda}, or DJL's
 * {@code PYTORCH_LIBRARY_PATH}) instead of the CPU ones. Plain Java, so that both DJL users ({@code producers},
 * {@code sae-operators}) share one parse and one error rule.
 */
public enum ComputeDevice {
    CPU,
    CUDA,
    AUTO;

    /** The option's name in every command and in the job's arguments. */
    public static final String OPTION = "--device";

    public static ComputeDevice parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(OPTION + " '" + text + "' is not one of cpu, cuda, auto", e);
        }
    }

    /**
     * Whether to run on the GPU when {@code engine} (e.g. "PyTorch 2.7.1") sees {@code gpusVisible} GPUs: CUDA fails
     * with the option named when it sees none, AUTO falls back to the CPU.
     */
    public boolean usesGpu(int gpusVisible, String engine) {
        return switch (this) {
            case CPU -> false;
            case AUTO -> gpusVisible > 0;
            case CUDA -> {
                if (gpusVisible <= 0) {
                    throw new IllegalStateException(OPTION + " cuda: " + engine + " sees no GPU (the CUDA natives"
                            + " are not on the classpath — build with -Pcuda or set PYTORCH_LIBRARY_PATH — or there"
                            + " is no NVIDIA driver); use " + OPTION + " cpu or auto");
                }
                yield true;
            }
        };
    }

    /** As the option spells it. */
    public String optionValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
