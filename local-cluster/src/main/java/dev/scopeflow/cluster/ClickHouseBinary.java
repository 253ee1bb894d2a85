package dev.scopeflow.cluster;

import dev.scopeflow.schemas.ScopeFlowCache;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Where the ClickHouse server comes from, in this order: {@code clickhouse-server} or {@code
 * clickhouse} on PATH; a previous fetch in the per-user cache; a fresh fetch into that cache with
 * {@code fetch-clickhouse.sh} (Debian packages unpacked without root).
 *
 * @param commandPrefix the program and any sub-command, before {@code --config-file=...}
 * @param environment extra environment, e.g. LD_LIBRARY_PATH for an unpacked cache
 */
record ClickHouseBinary(List<String> commandPrefix, Map<String, String> environment) {

    static final String FETCH_SCRIPT = "fetch-clickhouse.sh";
    static final String MULTIARCH = "x86_64-linux-gnu";
    private static final long FETCH_TIMEOUT_MINUTES = 15;

    ClickHouseBinary {
        commandPrefix = List.copyOf(commandPrefix);
        environment = Map.copyOf(environment);
    }

    /** Finds or fetches the server for this process's environment. */
    static ClickHouseBinary locate() {
        Map<String, String> env = System.getenv();
        Optional<ClickHouseBinary> onPath = onPath(env.getOrDefault("PATH", ""));
        if (onPath.isPresent()) {
            return onPath.get();
        }
        Path cache = cacheDir(env, Path.of(System.getProperty("user.home")));
        return fromCache(cache, env).orElseGet(() -> fetchInto(cache, env));
    }

    /** {@code $SCOPEFLOW_CACHE/clickhouse}, else {@code ~/.cache/scopeflow/clickhouse}. */
    static Path cacheDir(Map<String, String> env, Path home) {
        return ScopeFlowCache.dir("clickhouse", env, home);
    }

    static Optional<ClickHouseBinary> onPath(String pathVariable) {
        for (String entry : pathVariable.split(Pattern.quote(java.io.File.pathSeparator))) {
            if (entry.isBlank()) {
                continue;
            }
            Path dir = Path.of(entry);
            Path server = dir.resolve("clickhouse-server");
            if (Files.isExecutable(server)) {
                return Optional.of(new ClickHouseBinary(List.of(server.toString()), Map.of()));
            }
            Path multiTool = dir.resolve("clickhouse"); // modern single binary: `clickhouse server ...`
            if (Files.isExecutable(multiTool)) {
                return Optional.of(new ClickHouseBinary(List.of(multiTool.toString(), "server"), Map.of()));
            }
        }
        return Optional.empty();
    }

    /** A complete earlier fetch (marker file written last by the script) in {@code cache}. */
    static Optional<ClickHouseBinary> fromCache(Path cache, Map<String, String> env) {
        Path server = cache.resolve("usr/sbin/clickhouse-server");
        if (!Files.isRegularFile(cache.resolve(".fetched")) || !Files.isExecutable(server)) {
            return Optional.empty();
        }
        return Optional.of(
                new ClickHouseBinary(List.of(server.toString()), Map.of("LD_LIBRARY_PATH", libraryPath(cache, env))));
    }

    static String libraryPath(Path cache, Map<String, String> env) {
        String own =
                cache.resolve("usr/lib/" + MULTIARCH) + java.io.File.pathSeparator + cache.resolve("lib/" + MULTIARCH);
        String inherited = env.get("LD_LIBRARY_PATH");
        return inherited == null || inherited.isBlank() ? own : own + java.io.File.pathSeparator + inherited;
    }

    /**
     * Runs the fetch script shipped in this jar. A file lock serialises concurrent fetches (two
     * test JVMs, or the demo and a test) so they never unpack into the same directory at once.
     */
    static ClickHouseBinary fetchInto(Path cache, Map<String, String> env) {
        try {
            Files.createDirectories(cache);
            try (FileChannel lockChannel = FileChannel.open(
                            cache.resolve(".fetch.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock ignored = lockChannel.lock()) {
                Optional<ClickHouseBinary> fetchedMeanwhile = fromCache(cache, env);
                if (fetchedMeanwhile.isPresent()) {
                    return fetchedMeanwhile.get();
                }
                Path script = extractScript(cache);
                Path log = cache.resolve("fetch.log");
                Process process = new ProcessBuilder("bash", script.toString(), cache.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
                if (!process.waitFor(FETCH_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("Fetching ClickHouse took over "
                            + FETCH_TIMEOUT_MINUTES
                            + " minutes; gave up.\n"
                            + LogTail.lastLines(log, 20));
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException("Could not fetch ClickHouse into "
                            + cache
                            + " (exit "
                            + process.exitValue()
                            + "). Install clickhouse-server and put it on PATH, or fix the"
                            + " error below and retry.\n"
                            + LogTail.lastLines(log, 20));
                }
                return fromCache(cache, env)
                        .orElseThrow(() -> new IllegalStateException(FETCH_SCRIPT
                                + " succeeded but "
                                + cache
                                + " holds no complete fetch.\n"
                                + LogTail.lastLines(log, 20)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not fetch ClickHouse into " + cache, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while fetching ClickHouse", e);
        }
    }

    /** Copies the script out of the classpath so it works from a jar as well as from a checkout. */
    static Path extractScript(Path cache) throws IOException {
        Path script = cache.resolve(FETCH_SCRIPT);
        try (InputStream in = ClickHouseBinary.class.getResourceAsStream(FETCH_SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException(
                        FETCH_SCRIPT + " is missing from the classpath (dev/scopeflow/cluster/)");
            }
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    List<String> command(Path configFile) {
        List<String> command = new ArrayList<>(commandPrefix);
        command.add("--config-file=" + configFile);
        return command;
    }
}
