package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JavaClasspathTest {

    @TempDir
    Path temp;

    @Test
    void plainClasspathIsSplitAsIs() {
        assertThat(JavaClasspath.expand("/a/x.jar:/b/classes::/c/y.jar"))
                .containsExactly("/a/x.jar", "/b/classes", "/c/y.jar");
    }

    @Test
    void manifestOnlyJarIsExpandedRelativeToItsDirectory() throws IOException {
        Path lib = Files.createDirectories(temp.resolve("lib"));
        Path launcher =
                manifestJar(temp.resolve("launcher.jar"), "lib/kafka.jar lib/with%20space.jar file:/abs/classes/");

        assertThat(JavaClasspath.expand(launcher.toString()))
                .containsExactly(
                        launcher.toString(),
                        lib.resolve("kafka.jar").toString(),
                        lib.resolve("with space.jar").toString(),
                        "/abs/classes");
    }

    @Test
    void singleJarWithoutClassPathStaysSingle() throws IOException {
        Path fat = manifestJar(temp.resolve("fat.jar"), null);
        assertThat(JavaClasspath.expand(fat.toString())).containsExactly(fat.toString());
    }

    @Test
    void argumentFileQuotesTheWholeClasspath() {
        assertThat(JavaClasspath.argumentFile(java.util.List.of("/a b/x.jar", "/c\"d")))
                .isEqualTo("-cp\n\"/a b/x.jar:/c\\\"d\"\n");
    }

    private static Path manifestJar(Path jar, String classPath) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (classPath != null) {
            manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        }
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream ignored = new JarOutputStream(out, manifest)) {
            // manifest only
        }
        return jar;
    }
}
