package dev.scopeflow.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Finding and ending service processes left behind by an earlier JVM that died without cleaning up.
 * A pid alone is not enough (pids get reused), so a process only counts as ours when its command
 * line contains a marker unique to our working directory (its config file path).
 */
final class OwnProcesses {

    private OwnProcesses() {}

    /** The live process with this pid whose command line contains {@code marker}, if any. */
    static Optional<ProcessHandle> findOurs(long pid, String marker) {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(handle -> commandLineOf(handle).contains(marker));
    }

    static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Command line of a process, empty when the OS does not tell (e.g. another user's process). */
    static String commandLineOf(ProcessHandle handle) {
        ProcessHandle.Info info = handle.info();
        return info.commandLine()
                .or(() -> info.command()
                        .map(command -> command
                                + " "
                                + String.join(" ", info.arguments().orElse(new String[0]))))
                .orElse(readProcCmdline(handle.pid()));
    }

    /**
     * Linux fallback: /proc/pid/cmdline is NUL-separated and never truncated for our own processes.
     */
    private static String readProcCmdline(long pid) {
        Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
        try {
            return Files.isReadable(cmdline)
                    ? new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).replace('\0', ' ')
                    : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** SIGTERM, then SIGKILL after {@code graceMillis}; returns once the process is gone. */
    static void terminate(ProcessHandle handle, long graceMillis) {
        CompletableFuture<ProcessHandle> exited = handle.onExit();
        handle.destroy();
        try {
            exited.get(graceMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            handle.destroyForcibly();
            try {
                exited.get(30, TimeUnit.SECONDS);
            } catch (TimeoutException | ExecutionException stillThere) {
                throw new IllegalStateException("Process " + handle.pid() + " survived SIGKILL for 30 s", stillThere);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            handle.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Ends the process recorded in {@code pidFile} if it is still alive and ours; deletes the file.
     */
    static void killLeftover(Path pidFile, String marker) {
        readPid(pidFile).ifPresent(pid -> findOurs(pid, marker).ifPresent(handle -> terminate(handle, 5_000)));
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete " + pidFile, e);
        }
    }

    static OptionalLong readPid(Path pidFile) {
        try {
            if (!Files.isRegularFile(pidFile)) {
                return OptionalLong.empty();
            }
            String text = Files.readString(pidFile, StandardCharsets.UTF_8).trim();
            return text.matches("\\d+") ? OptionalLong.of(Long.parseLong(text)) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    static void writePid(Path pidFile, long pid) {
        try {
            Files.writeString(pidFile, pid + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + pidFile, e);
        }
    }
}
