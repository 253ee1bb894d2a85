package dev.scopeflow.schemas.format;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes float32 arrays as a numpy {@code .npz} archive, one {@code <name>.npy} entry each in the given order,
 * what {@code np.savez_compressed} writes (deflated entries) and what {@link NpzReader} and numpy read back.
 */
public final class NpzWriter {

    private NpzWriter() {}

    public static void write(Path file, List<NpyArray> arrays) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (NpyArray array : arrays) {
                zip.putNextEntry(new ZipEntry(array.name() + ".npy"));
                long[] shape = Arrays.stream(array.shape()).asLongStream().toArray();
                // the entry's writer must not close the archive, only end its own data
                try (NpyWriter npy = NpyWriter.float32(file + "!" + array.name(), unclosable(zip), shape)) {
                    npy.write(array.data(), 0, array.size());
                }
                zip.closeEntry();
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static OutputStream unclosable(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }
}
