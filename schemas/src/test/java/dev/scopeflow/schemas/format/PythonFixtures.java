package dev.scopeflow.schemas.format;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs a numpy fixture script ({@code python3 <script> <mode> <dir> <args...>}) and reads its raw outputs. Shared
 * with other modules' tests through this module's test jar, so every numpy-checked test runs scripts one way.
 */
public final class PythonFixtures {

    private PythonFixtures() {}

    /** Runs the script; returns {@code dir}. Fails the test with the script's output on any error. */
    public static Path run(URL script, Path dir, String mode, Object... args) throws IOException, InterruptedException {
        Path scriptPath;
        try {
            scriptPath = Path.of(script.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        String[] command = new String[4 + args.length];
        command[0] = "python3";
        command[1] = scriptPath.toString();
        command[2] = mode;
        command[3] = dir.toString();
        for (int i = 0; i < args.length; i++) {
            command[4 + i] = String.valueOf(args[i]);
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException(
                    scriptPath.getFileName() + " " + mode + " failed (" + exit + "):\n" + output);
        }
        return dir;
    }

    /** A raw little-endian float32 file ({@code ndarray.tofile}). */
    public static float[] f32(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
