package dev.scopeflow.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a random JumpReLU SAE in Gemma Scope's {@code params.npz} layout (float32, C order), so the demo
 * runs the real loading path without downloadable weights. Thresholds are spread so the demo shows dead,
 * rare and dense features side by side.
 */
final class DemoSaeWriter {

    private DemoSaeWriter() {
    }

    static void write(Path paramsNpz, int dIn, int dSae, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        float[] wEnc = new float[dIn * dSae];
        float[] wDec = new float[dSae * dIn];
        double scale = 1.0 / Math.sqrt(dIn);
        for (int i = 0; i < dIn; i++) {
            for (int f = 0; f < dSae; f++) {
                float w = (float) ((random.nextDouble() * 2 - 1) * Math.sqrt(3) * scale);
                wEnc[i * dSae + f] = w;
                wDec[f * dIn + i] = w;
            }
        }
        float[] bEnc = new float[dSae];
        float[] threshold = new float[dSae];
        for (int f = 0; f < dSae; f++) {
            // Pre-activations are roughly N(0, 1): most features fire on 0.02-7 % of tokens, every 50th is
            // dense and every 97th can never fire (dead).
            threshold[f] = (float) (1.5 + 2.0 * random.nextDouble());
            if (f % 50 == 0) {
                threshold[f] = 0.05f;
            }
            if (f % 97 == 0) {
                threshold[f] = 1e6f;
            }
        }
        float[] bDec = new float[dIn];
        Map<String, Object[]> arrays = new LinkedHashMap<>();
        arrays.put("W_enc", new Object[] {wEnc, new int[] {dIn, dSae}});
        arrays.put("W_dec", new Object[] {wDec, new int[] {dSae, dIn}});
        arrays.put("b_enc", new Object[] {bEnc, new int[] {dSae}});
        arrays.put("b_dec", new Object[] {bDec, new int[] {dIn}});
        arrays.put("threshold", new Object[] {threshold, new int[] {dSae}});
        Files.createDirectories(paramsNpz.getParent());
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(paramsNpz))) {
            for (Map.Entry<String, Object[]> e : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                writeNpy(zip, (float[]) e.getValue()[0], (int[]) e.getValue()[1]);
                zip.closeEntry();
            }
        }
    }

    /** NPY format 1.0: magic, version, little-endian header length, a Python dict literal padded to 64 bytes. */
    private static void writeNpy(OutputStream out, float[] data, int[] shape) throws IOException {
        StringBuilder shapeText = new StringBuilder("(");
        for (int d : shape) {
            shapeText.append(d).append(", ");
        }
        if (shape.length > 1) {
            shapeText.setLength(shapeText.length() - 2);
        } else {
            shapeText.setLength(shapeText.length() - 1);
        }
        shapeText.append(')');
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shapeText + ", }";
        int unpadded = 10 + dict.length() + 1;
        String header = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        head.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        head.write(header.length() & 0xff);
        head.write(header.length() >>> 8);
        head.write(header.getBytes(StandardCharsets.US_ASCII));
        out.write(head.toByteArray());
        ByteBuffer buffer = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(data);
        out.write(buffer.array());
    }
}
