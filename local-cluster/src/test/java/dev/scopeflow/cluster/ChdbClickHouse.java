package dev.scopeflow.cluster;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Current ClickHouse (26.x) without Docker, for an ITCase class's lifetime: chdb, ClickHouse as a library (npm
 * package {@value #PACKAGE}, installed into {@code target/} at set-up like the real tokenizer; npm's cache makes
 * later installs offline), behind {@code chdb-http.js}, a node process serving the part of ClickHouse's HTTP
 * interface that {@link ClickHouseHttp} uses. Code that talks to ClickHouse through {@link ClickHouseHttp} runs
 * against {@link #httpUrl()} unchanged. Unlike {@link RealServices}' 18.16 server it has no users (credentials are
 * ignored), no JDBC and runs one query at a time.
 *
 * <pre>{@code @RegisterExtension static final ChdbClickHouse CURRENT = new ChdbClickHouse();}</pre>
 */
public final class ChdbClickHouse implements BeforeAllCallback, AfterAllCallback {

    public static final String PACKAGE = "chdb@3.4.0";
    private static final Path NPM_DIR = Path.of("target", "npm-chdb");
    private static final String SCRIPT = "chdb-http.js";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private ChildProcess process;
    private String httpUrl;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException, InterruptedException {
        installChdb();
        Path script = NPM_DIR.resolve(SCRIPT).toAbsolutePath(); // beside node_modules, where require finds chdb
        try (InputStream in = ChdbClickHouse.class.getResourceAsStream(SCRIPT)) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Path workDir = Path.of(System.getProperty("scopeflow.test.workdir", "target/it-work"))
                .resolve(context.getRequiredTestClass().getSimpleName() + "-chdb-" + UUID.randomUUID())
                .toAbsolutePath();
        Files.createDirectories(workDir.resolve("data"));
        int port = Ports.freePort();
        httpUrl = "http://" + Ports.LOOPBACK + ":" + port;
        process = new ChildProcess(
                "chdb",
                List.of(
                        "node",
                        script.toString(),
                        String.valueOf(port),
                        workDir.resolve("data").toString()),
                Map.of(),
                workDir,
                workDir.resolve("chdb.log"),
                Duration.ofSeconds(10));
        process.start();
        awaitPing();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (process != null) {
            process.stop();
        }
    }

    /** E.g. {@code http://127.0.0.1:41234}; any user and password are accepted. */
    public String httpUrl() {
        if (httpUrl == null) {
            throw new IllegalStateException("chdb is not started: register ChdbClickHouse as a static "
                    + "@RegisterExtension field and use it from @BeforeAll or test methods");
        }
        return httpUrl;
    }

    public ClickHouseHttp http() {
        return new ClickHouseHttp(httpUrl());
    }

    private void awaitPing() throws InterruptedException {
        ClickHouseHttp http = http();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!http.ping()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.kill();
                throw new IllegalStateException("chdb did not answer " + httpUrl + "/ping within " + START_TIMEOUT
                        + "; its log " + process.logFile() + " ends:\n" + process.logTail());
            }
            Thread.sleep(100);
        }
    }

    private static void installChdb() throws IOException, InterruptedException {
        if (Files.isRegularFile(NPM_DIR.resolve("node_modules/chdb/package.json"))) {
            return;
        }
        Files.createDirectories(NPM_DIR);
        // its own package.json, so that npm installs here and not into a project found in a parent directory
        Files.writeString(NPM_DIR.resolve("package.json"), "{\"private\": true}\n");
        Process npm = new ProcessBuilder(
                        "npm", "install", PACKAGE, "--prefer-offline", "--no-audit", "--no-fund", "--silent")
                .directory(NPM_DIR.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(npm.getInputStream().readAllBytes());
        if (!npm.waitFor(600, TimeUnit.SECONDS) || npm.exitValue() != 0) {
            throw new IllegalStateException("npm install " + PACKAGE + " failed (tests on current ClickHouse need "
                    + "node, npm and either network access or npm's cache):\n" + output);
        }
    }
}
