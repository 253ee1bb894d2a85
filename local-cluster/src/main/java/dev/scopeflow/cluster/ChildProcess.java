package dev.scopeflow.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One service process started by this JVM: its command, environment and log file, plus the ways to
 * end it. Output goes to a file (never a pipe) so a chatty child can never block on a full pipe
 * buffer and no reader thread is needed. A shutdown hook ends the child if the caller's JVM exits
 * without stopping it, so it never outlives the JVM that started it (short of SIGKILL).
 */
final class ChildProcess {

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path workingDir;
    private final Path logFile;
    private final Duration gracePeriod;

    private Process process;
    private Thread shutdownHook;

    ChildProcess(
            String name,
            List<String> command,
            Map<String, String> environment,
            Path workingDir,
            Path logFile,
            Duration gracePeriod) {
        this.name = name;
        this.command = List.copyOf(command);
        this.environment = Map.copyOf(environment);
        this.workingDir = workingDir;
        this.logFile = logFile;
        this.gracePeriod = gracePeriod;
    }

    /** Starts the process; output is appended to the log file so restarts keep earlier logs. */
    synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        try {
            Files.createDirectories(logFile.getParent());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workingDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
            builder.environment().putAll(environment);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start " + name + ": " + String.join(" ", command), e);
        }
        Process started = process;
        shutdownHook = new Thread(() -> terminate(started, gracePeriod), "scopeflow-stop-" + name);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts the process the way every embedded service does: first kills a leftover of a crashed earlier run
     * (found through {@code pidFile} and recognised by {@code commandLineMarker}) or fails if a live JVM's
     * process still runs there, records the new pid, then waits for {@code awaitReady}; a process that never
     * gets ready is killed before the error propagates.
     */
    void launch(Path pidFile, String commandLineMarker, Runnable awaitReady) {
        OwnProcesses.killLeftover(pidFile, commandLineMarker, name);
        start();
        OwnProcesses.writePid(pidFile, pid());
        try {
            awaitReady.run();
        } catch (RuntimeException e) {
            kill();
            throw e;
        }
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The pid of the running process; fails if it was never started. */
    synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return process.pid();
    }

    /** Exit code if the process has ended, else null. */
    synchronized Integer exitCode() {
        return process == null || process.isAlive() ? null : process.exitValue();
    }

    /** SIGTERM, then SIGKILL after the grace period. Idempotent. */
    synchronized void stop() {
        if (process != null) {
            terminate(process, gracePeriod);
        }
        removeShutdownHook();
    }

    /** SIGKILL, like a crash: no chance to flush or deregister. Idempotent. */
    synchronized void kill() {
        if (process != null) {
            terminate(process, Duration.ZERO);
        }
        removeShutdownHook();
    }

    String logTail() {
        return LogTail.lastLines(logFile, 40);
    }

    Path logFile() {
        return logFile;
    }

    String name() {
        return name;
    }

    private void removeShutdownHook() {
        if (shutdownHook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // The hook is running or about to; it does the same thing we just did.
        }
        shutdownHook = null;
    }

    static void terminate(Process process, Duration gracePeriod) {
        try {
            if (!gracePeriod.isZero()) {
                process.destroy();
                if (process.waitFor(gracePeriod.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static java.io.File nullDevice() {
        return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}
