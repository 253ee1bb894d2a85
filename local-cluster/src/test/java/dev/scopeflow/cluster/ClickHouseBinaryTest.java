package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClickHouseBinaryTest {

    @TempDir
    Path temp;

    @Test
    void cacheDirHonoursScopeflowCacheElseHome() {
        assertThat(ClickHouseBinary.cacheDir(Map.of(), Path.of("/home/ada")))
                .isEqualTo(Path.of("/home/ada/.cache/scopeflow/clickhouse"));
        assertThat(ClickHouseBinary.cacheDir(Map.of("SCOPEFLOW_CACHE", "/data/sf"), Path.of("/home/ada")))
                .isEqualTo(Path.of("/data/sf/clickhouse"));
    }

    @Test
    void prefersServerBinaryOnPathAndKnowsTheModernMultiTool() throws IOException {
        Path modern = Files.createDirectories(temp.resolve("modern"));
        executable(modern.resolve("clickhouse"));
        Path debian = Files.createDirectories(temp.resolve("debian"));
        executable(debian.resolve("clickhouse-server"));

        assertThat(ClickHouseBinary.onPath(debian + ":" + modern).orElseThrow().commandPrefix())
                .containsExactly(debian.resolve("clickhouse-server").toString());
        assertThat(ClickHouseBinary.onPath(modern.toString()).orElseThrow().command(Path.of("/c/config.xml")))
                .containsExactly(modern.resolve("clickhouse").toString(), "server", "--config-file=/c/config.xml");
        assertThat(ClickHouseBinary.onPath(temp.resolve("empty") + "::")).isEmpty();
    }

    @Test
    void cacheCountsOnlyWhenTheFetchCompletedAndAddsItsLibraries() throws IOException {
        Path cache = temp.resolve("cache");
        executable(Files.createDirectories(cache.resolve("usr/sbin")).resolve("clickhouse-server"));
        assertThat(ClickHouseBinary.fromCache(cache, Map.of())).isEmpty(); // half-unpacked: no marker

        Files.writeString(cache.resolve(".fetched"), "version=18.16.1\n");
        ClickHouseBinary binary = ClickHouseBinary.fromCache(cache, Map.of("LD_LIBRARY_PATH", "/opt/lib"))
                .orElseThrow();
        assertThat(binary.environment().get("LD_LIBRARY_PATH"))
                .isEqualTo(cache.resolve("usr/lib/x86_64-linux-gnu")
                        + ":"
                        + cache.resolve("lib/x86_64-linux-gnu")
                        + ":/opt/lib");
    }

    @Test
    void fetchScriptShipsOnTheClasspathAndExtractsExecutable() throws IOException {
        try (InputStream script = ClickHouseBinary.class.getResourceAsStream(ClickHouseBinary.FETCH_SCRIPT)) {
            assertThat(script).isNotNull();
        }
        Path extracted = ClickHouseBinary.extractScript(temp);
        assertThat(Files.isExecutable(extracted)).isTrue();
        assertThat(Files.readString(extracted)).contains("apt-get download", "dpkg -x", "ldd", ".fetched");
    }

    private static void executable(Path file) throws IOException {
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
