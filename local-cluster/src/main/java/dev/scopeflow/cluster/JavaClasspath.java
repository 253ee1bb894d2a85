package dev.scopeflow.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The classpath a child JVM needs to run the same code as this one. Launchers such as surefire
 * (manifest-only jar) or `java -jar app.jar` put a single jar on {@code java.class.path} and list
 * the real entries in its manifest's {@code Class-Path}; those are expanded so the child sees them.
 */
final class JavaClasspath {

    private JavaClasspath() {}

    static List<String> ofCurrentJvm() {
        return expand(System.getProperty("java.class.path", ""));
    }

    /**
     * Entries of {@code classPath}; a lone jar with a manifest Class-Path is followed by that list.
     */
    static List<String> expand(String classPath) {
        List<String> entries = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                entries.add(entry);
            }
        }
        if (entries.size() != 1 || !entries.get(0).endsWith(".jar")) {
            return entries;
        }
        Path jar = Path.of(entries.get(0)).toAbsolutePath();
        LinkedHashSet<String> expanded = new LinkedHashSet<>();
        expanded.add(jar.toString());
        expanded.addAll(manifestClassPath(jar));
        return List.copyOf(expanded);
    }

    /** Class-Path entries are space-separated URLs relative to the jar's directory. */
    static List<String> manifestClassPath(Path jar) {
        if (!Files.isRegularFile(jar)) {
            return List.of();
        }
        try (JarFile jarFile = new JarFile(jar.toFile())) {
            Manifest manifest = jarFile.getManifest();
            String value =
                    manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (value == null || value.isBlank()) {
                return List.of();
            }
            URI base = jar.getParent().toUri();
            List<String> entries = new ArrayList<>();
            for (String url : value.trim().split("\\s+")) {
                entries.add(Path.of(base.resolve(url)).toString());
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the manifest of " + jar, e);
        }
    }

    /**
     * A java launcher argument file ({@code java @file}) holding {@code -cp <entries>}: keeps long
     * test classpaths clear of the kernel's 128 KiB limit on a single argument.
     */
    static String argumentFile(List<String> entries) {
        String joined = String.join(File.pathSeparator, entries);
        return "-cp\n\"" + joined.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n";
    }
}
