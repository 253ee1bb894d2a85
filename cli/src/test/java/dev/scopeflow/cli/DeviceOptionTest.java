package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.pytorch.engine.PtEngine;
import dev.scopeflow.schemas.ComputeDevice;
import dev.scopeflow.schemas.format.NpyArray;
import dev.scopeflow.schemas.format.NpyWriter;
import dev.scopeflow.schemas.format.NpzWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --device} of {@code stats}, the job's commands and the model commands: parsing and the errors a user sees. */
class DeviceOptionTest {

    private static final int D_IN = 3;
    private static final int D_SAE = 4;

    @TempDir
    static Path dir;

    /** A 3 → 4 JumpReLU SAE (identity-like encoder) and 2 × 2 tokens of activations, enough for stats to run. */
    @BeforeAll
    static void writeFixtures() throws IOException {
        float[] wEnc = {1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1};
        float[] wDec = new float[D_SAE * D_IN];
        NpzWriter.write(
                dir.resolve("params.npz"),
                List.of(
                        NpyArray.of("W_enc", new int[] {D_IN, D_SAE}, wEnc),
                        NpyArray.of("W_dec", new int[] {D_SAE, D_IN}, wDec),
                        NpyArray.of("b_enc", new int[] {D_SAE}, new float[D_SAE]),
                        NpyArray.of("b_dec", new int[] {D_IN}, new float[D_IN]),
                        NpyArray.of("threshold", new int[] {D_SAE}, new float[D_SAE])));
        NpyWriter.writeFloat32(
                dir.resolve("activations.npy"), new float[] {1, 2, 3, 0, 1, 0, 2, 2, 2, 0, 0, 1}, 2, 2, D_IN);
    }

    private static CommandRun.Output stats(String out, String... extra) {
        String[] base = {
            "stats",
            "--sae",
            dir.resolve("params.npz").toString(),
            "--activations",
            dir.resolve("activations.npy").toString(),
            "--out",
            dir.resolve(out).toString()
        };
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CommandRun.execute(args);
    }

    @Test
    void statsRunsOnTheCpuByDefaultAndOnAuto() {
        CommandRun.Output cpu = stats("cpu");
        assertThat(cpu.exit()).as(cpu.err()).isZero();
        assertThat(cpu.out()).startsWith("4 tokens, 4 features");
        CommandRun.Output auto = stats("auto", "--device", "auto", "--backend", "TORCH");
        assertThat(auto.exit()).as(auto.err()).isZero();
        assertThat(auto.out()).startsWith("4 tokens, 4 features");
        assertThat(Files.isRegularFile(dir.resolve("auto/features.csv"))).isTrue();
    }

    @Test
    void statsNamesABadDevice() {
        CommandRun.Output run = stats("bad", "--device", "gpu");
        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("--device 'gpu' is not one of cpu, cuda, auto");
    }

    @Test
    void statsRejectsCudaWithTheJavaKernel() {
        CommandRun.Output run = stats("java-cuda", "--device", "cuda", "--backend", "JAVA");
        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("--device cuda needs the TORCH encode kernel (--backend TORCH)");
    }

    /**
     * On a machine without a GPU (CI: CPU natives) cuda fails naming the option; with one (a -Pcuda build on a GPU
     * machine) the statistics are computed there. Checked by dropping StatsCommand's {@code optDevice}: this test
     * (and the two above) then failed, stats exiting 0 on the CPU.
     */
    @Test
    void statsOnCudaFailsClearlyWithoutAGpu() {
        CommandRun.Output run = stats("cuda", "--device", "cuda", "--backend", "TORCH");
        if (PtEngine.getInstance().getGpuCount() == 0) {
            assertThat(run.exit()).isNotZero();
            assertThat(run.err())
                    .contains("--device cuda: PyTorch " + PtEngine.getInstance().getVersion() + " sees no GPU")
                    .contains("-Pcuda");
        } else {
            assertThat(run.exit()).as(run.err()).isZero();
            assertThat(run.out()).startsWith("4 tokens, 4 features");
        }
    }

    @Test
    void theJobsDeviceReachesItsConfigAndIsCheckedThere() {
        RunJobCommand runJob = new RunJobCommand();
        new CommandLine(runJob)
                .parseArgs("--run-id", "r", "--sae", "a=res.1=/a.npz", "--backend", "TORCH", "--device", "cuda");
        assertThat(runJob.job.config("r").build().device()).isEqualTo(ComputeDevice.CUDA);

        RunJobCommand byDefault = new RunJobCommand();
        new CommandLine(byDefault).parseArgs("--run-id", "r", "--sae", "a=res.1=/a.npz");
        assertThat(byDefault.job.config("r").build().device()).isEqualTo(ComputeDevice.CPU);

        RunJobCommand javaOnCuda = new RunJobCommand();
        new CommandLine(javaOnCuda)
                .parseArgs("--run-id", "r", "--sae", "a=res.1=/a.npz", "--backend", "JAVA", "--device", "cuda");
        assertThatThrownBy(() -> javaOnCuda.job.config("r").build())
                .hasMessageStartingWith("--device cuda needs the TORCH encode kernel");

        // the default kernel (auto) is resolved on each task manager: there it must be TORCH to run on CUDA
        RunJobCommand autoOnCuda = new RunJobCommand();
        new CommandLine(autoOnCuda).parseArgs("--run-id", "r", "--sae", "a=res.1=/a.npz", "--device", "cuda");
        assertThat(autoOnCuda.job.config("r").build().device()).isEqualTo(ComputeDevice.CUDA);
    }

    @Test
    void theModelCommandsShareTheOption() {
        EvalCommand eval = new EvalCommand();
        new CommandLine(eval)
                .parseArgs(
                        "--model",
                        "/m",
                        "--tokens",
                        "/t.json",
                        "--sae",
                        "a=res.1=/a.npz",
                        "--out",
                        "/o",
                        "--device",
                        "auto");
        assertThat(eval.modelRun.computeDevice()).isEqualTo(ComputeDevice.AUTO);
        CaptureCommand capture = new CaptureCommand();
        new CommandLine(capture).parseArgs("--model", "/m", "--tokens", "/t.json", "--sites", "res.1", "--out", "/o");
        assertThat(capture.modelRun.computeDevice()).isEqualTo(ComputeDevice.CPU);
    }
}
