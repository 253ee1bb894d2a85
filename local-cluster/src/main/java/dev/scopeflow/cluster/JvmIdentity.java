package dev.scopeflow.cluster;

import java.time.Instant;
import java.util.Optional;

/**
 * A process as the lock and pid files record it: pid plus start time, since pids get reused. A start
 * time of 0 (an older file) matches any process with that pid.
 */
record JvmIdentity(long pid, long startMillis) {

    static JvmIdentity current() {
        ProcessHandle self = ProcessHandle.current();
        return new JvmIdentity(self.pid(), startMillis(self));
    }

    /** The live process this identity names, if it still runs. */
    Optional<ProcessHandle> handle() {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(handle -> startMillis <= 0 || Math.abs(startMillis(handle) - startMillis) < 1000);
    }

    boolean isAlive() {
        return handle().isPresent();
    }

    boolean isCurrentJvm() {
        return pid == ProcessHandle.current().pid();
    }

    /** {@code pid@startMillis}, the form pid files carry on their second line. */
    String format() {
        return pid + "@" + startMillis;
    }

    /** Parses {@link #format()}; empty for anything else. */
    static Optional<JvmIdentity> parse(String text) {
        String trimmed = text.trim();
        if (!trimmed.matches("\\d+@\\d+")) {
            return Optional.empty();
        }
        int at = trimmed.indexOf('@');
        return Optional.of(
                new JvmIdentity(Long.parseLong(trimmed.substring(0, at)), Long.parseLong(trimmed.substring(at + 1))));
    }

    static long startMillis(ProcessHandle handle) {
        return handle.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    }
}
