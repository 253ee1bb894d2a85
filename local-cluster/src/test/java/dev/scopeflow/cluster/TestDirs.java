package dev.scopeflow.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Fresh per-test directories under {@code scopeflow.test.workdir} (target/it-work under Maven). */
final class TestDirs {

    private TestDirs() {}

    static Path fresh(String name) {
        Path root = Path.of(System.getProperty("scopeflow.test.workdir", "target/it-work"))
                .toAbsolutePath();
        try {
            Files.createDirectories(root);
            return Files.createTempDirectory(root, name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
