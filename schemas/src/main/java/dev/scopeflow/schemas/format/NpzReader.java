package dev.scopeflow.schemas.format;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads arrays from a numpy {@code .npz} archive ({@code np.savez}: stored, {@code np.savez_compressed}:
 * deflate; zip64 included) one entry at a time. {@link ZipFile} reads only the central directory up front and
 * then streams the requested entry, so archives larger than 2 GiB are fine as long as each array fits a
 * float[].
 */
public final class NpzReader implements AutoCloseable {

    private final Path file;
    private final ZipFile zip;
    /** Array name (entry name without ".npy") to entry, in archive order. */
    private final Map<String, ZipEntry> entries;

    private NpzReader(Path file, ZipFile zip, Map<String, ZipEntry> entries) {
        this.file = file;
        this.zip = zip;
        this.entries = entries;
    }

    public static NpzReader open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new FileFormatException(file + ": no such file");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new FileFormatException(
                    file + ": not a readable .npz (zip) archive, truncated or corrupt: " + e.getMessage(), e);
        }
        Map<String, ZipEntry> entries = new LinkedHashMap<>();
        Enumeration<? extends ZipEntry> all = zip.entries();
        while (all.hasMoreElements()) {
            ZipEntry entry = all.nextElement();
            String name = entry.getName();
            if (!entry.isDirectory()) {
                entries.put(name.endsWith(".npy") ? name.substring(0, name.length() - 4) : name, entry);
            }
        }
        return new NpzReader(file, zip, entries);
    }

    public Path file() {
        return file;
    }

    /** Array names in archive order. */
    public List<String> arrayNames() {
        return Collections.unmodifiableList(new ArrayList<>(entries.keySet()));
    }

    public boolean contains(String arrayName) {
        return entries.containsKey(arrayName);
    }

    /** Reads and decodes one array; a missing name is an error listing what the archive has. */
    public NpyArray read(String arrayName) throws IOException {
        try (InputStream in = open(arrayName)) {
            return NpyArray.read(in, arrayName, file.toString());
        } catch (ZipException e) {
            throw corruptEntry(arrayName, e);
        }
    }

    /**
     * One array's shape from its {@code .npy} header alone: only the first bytes of the entry are read (and
     * inflated), however large the array.
     */
    public int[] shape(String arrayName) throws IOException {
        try (InputStream in = open(arrayName)) {
            return NpyArray.readHeader(in, arrayName, file.toString()).shape();
        } catch (ZipException e) {
            throw corruptEntry(arrayName, e);
        }
    }

    private InputStream open(String arrayName) throws IOException {
        ZipEntry entry = entries.get(arrayName);
        if (entry == null) {
            throw FileFormatException.of(
                    file.toString(),
                    arrayName,
                    "missing from archive (has: " + String.join(", ", entries.keySet()) + ")");
        }
        return new BufferedInputStream(zip.getInputStream(entry), 1 << 16);
    }

    private FileFormatException corruptEntry(String arrayName, ZipException e) {
        return FileFormatException.of(file.toString(), arrayName, "corrupt zip entry: " + e.getMessage());
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }
}
