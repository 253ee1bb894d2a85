package dev.scopeflow.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the {@code scopeflow} command line in a child JVM with this test's classpath, for tests that need a process
 * of its own: one that outlives a call, or one killed with SIGKILL ({@link Process#destroyForcibly()}).
 */
final class CommandProcess {

    private CommandProcess() {}

    /** Starts {@code args}; stdout and stderr go to {@code log}. The classpath goes through an argument file. */
    static Process start(Path log, String... args) throws IOException {
        return startWithHeap(log, "256m", args);
    }

    /** {@link #start(Path, String...)} with a heap of at most {@code maxHeap} (e.g. "2g"). */
    static Process startWithHeap(Path log, String maxHeap, String... args) throws IOException {
        return startWithJvmOptions(log, List.of("-Xmx" + maxHeap), args);
    }

    /** {@link #start(Path, String...)} with {@code jvmOptions} (heap, system properties) instead of -Xmx256m. */
    static Process startWithJvmOptions(Path log, List<String> jvmOptions, String... args) throws IOException {
        Path argFile = log.resolveSibling(log.getFileName() + ".args");
        String classpath = System.getProperty("java.class.path");
        Files.writeString(
                argFile,
                "-cp\n\"" + classpath.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n",
                StandardCharsets.UTF_8);
        List<String> command = new ArrayList<>(
                List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("--add-opens=java.base/java.nio=ALL-UNNAMED", "@" + argFile, ScopeFlow.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }
}
