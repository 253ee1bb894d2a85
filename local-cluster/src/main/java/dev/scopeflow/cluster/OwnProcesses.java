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
     * Fails if the process recorded in {@code pidFile} is alive, ours, and the JVM that started it still
     * runs: that server is in use, and a second one must never run on (or rewrite the config of) the same
     * data. Callers check before they write any config.
     */
    static void requireNotInUse(Path pidFile, String marker, String service) {
        OptionalLong pid = readPid(pidFile);
        if (pid.isPresent() && findOurs(pid.getAsLong(), marker).isPresent()) {
            Optional<JvmIdentity> starter = readStarter(pidFile).filter(JvmIdentity::isAlive);
            if (starter.isPresent()) {
                throw inUse(pidFile.getParent(), service, pid.getAsLong(), starter.get());
            }
        }
    }

    /**
     * Ends the process recorded in {@code pidFile} if it is a leftover (alive, ours, its starter JVM gone);
     * fails like {@link #requireNotInUse} if it is in use. Deletes the file otherwise.
     */
    static void killLeftover(Path pidFile, String marker, String service) {
        requireNotInUse(pidFile, marker, service);
        readPid(pidFile).ifPresent(pid -> findOurs(pid, marker).ifPresent(handle -> terminate(handle, 5_000)));
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete " + pidFile, e);
        }
    }

    private static IllegalStateException inUse(Path dir, String service, long pid, JvmIdentity starter) {
        Path workDir = dir.getParent() == null ? dir : dir.getParent();
        return new IllegalStateException(service
                + " already runs on the data in "
                + dir
                + " (pid "
                + pid
                + ", started by pid "
                + starter.pid()
                + "); use it (--work-dir "
                + workDir
                + ") or stop it first with `scopeflow services stop --work-dir "
                + workDir
                + "`");
    }

    static OptionalLong readPid(Path pidFile) {
        try {
            if (!Files.isRegularFile(pidFile)) {
                return OptionalLong.empty();
            }
            String text = firstLine(Files.readString(pidFile, StandardCharsets.UTF_8));
            return text.matches("\\d+") ? OptionalLong.of(Long.parseLong(text)) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** The JVM that started the process in {@code pidFile} (second line); empty in older files. */
    static Optional<JvmIdentity> readStarter(Path pidFile) {
        try {
            String[] lines = Files.readString(pidFile, StandardCharsets.UTF_8).split("\n");
            return lines.length < 2 ? Optional.empty() : JvmIdentity.parse(lines[1]);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The child's pid, then this JVM as its starter, so a later start can tell a leftover from one in use. */
    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).trim();
    }

    static void writePid(Path pidFile, long pid) {
        try {
            Files.writeString(pidFile, pid + "\n" + JvmIdentity.current().format() + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + pidFile, e);
        }
    }
}
