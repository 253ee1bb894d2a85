package dev.scopeflow.sae.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.sae.NumpyFixtures;
import dev.scopeflow.sae.kernel.SparseCodes;
import dev.scopeflow.sae.stats.TopExamples.Example;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ActivationHistogram} and {@link IntervalSamples}: against numpy, merge properties, serialization. */
class LogSpacedStatsTest {

    private static final int PER_INTERVAL = 3;

    @TempDir
    Path dir;

    @Test
    void histogramAndIntervalSamplesMatchNumpy() throws Exception {
        SplittableRandom random = new SplittableRandom(5);
        int rows = 700;
        int dSae = 23;
        float[] acts = new float[rows * dSae];
        float[] specials = {
            1e-3f,
            1f,
            1e3f,
            Math.nextDown(1e-3f),
            Math.nextUp(1e3f),
            Math.nextDown(1e3f),
            Float.MIN_VALUE,
            3e38f,
            10f,
            Math.nextDown(10f)
        };
        for (int i = 0; i < acts.length; i++) {
            double u = random.nextDouble();
            if (u < 0.5) continue; // not firing
            acts[i] = u < 0.55
                    ? specials[random.nextInt(specials.length)]
                    : (float) Math.pow(10, -5 + 10 * random.nextDouble()); // 1e-5 .. 1e5
        }
        long[] docs = new long[rows];
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            docs[r] = r / 50 + (r % 3 == 0 ? -1_000_000_007L : 0); // negative docs too
            positions[r] = r % 50;
        }
        SparseCodes codes = SparseCodes.fromDense(acts, rows, dSae);
        writeLittleEndian(
                dir.resolve("acts.f32"), acts.length * 4, b -> b.asFloatBuffer().put(acts));
        writeLittleEndian(
                dir.resolve("docs.i64"), rows * 8, b -> b.asLongBuffer().put(docs));
        writeLittleEndian(dir.resolve("pos.i32"), rows * 4, b -> b.asIntBuffer().put(positions));
        NumpyFixtures.generate(dir, "log-stats", rows, dSae, PER_INTERVAL);

        ActivationHistogram histogram = new ActivationHistogram(dSae);
        histogram.addAll(codes);
        long[] expected = NumpyFixtures.i64(dir.resolve("hist.i64"));
        assertThat(histogram.binCount()).isEqualTo(62);
        for (int f = 0; f < dSae; f++) {
            assertThat(histogram.counts(f))
                    .as("feature %d", f)
                    .containsExactly(Arrays.copyOfRange(expected, f * 62, (f + 1) * 62));
        }

        IntervalSamples samples = new IntervalSamples(dSae, PER_INTERVAL);
        samples.addAll(codes, docs, positions);
        long[] ids = NumpyFixtures.i64(dir.resolve("samples_ids.i64"));
        float[] sampleActs = NumpyFixtures.f32(dir.resolve("samples_act.f32"));
        List<String> expectedRows = new ArrayList<>();
        for (int i = 0; i < sampleActs.length; i++) {
            expectedRows.add(ids[4 * i] + " " + ids[4 * i + 1] + " " + ids[4 * i + 2] + " " + ids[4 * i + 3] + " "
                    + sampleActs[i]);
        }
        List<String> actualRows = new ArrayList<>();
        for (int f = 0; f < dSae; f++) {
            for (int interval = 0; interval < samples.intervalCount(); interval++) {
                for (Example e : samples.samples(f, interval)) {
                    actualRows.add(f + " " + interval + " " + e.doc() + " " + e.position() + " " + e.activation());
                }
            }
        }
        assertThat(actualRows).hasSizeGreaterThan(dSae * 5).isEqualTo(expectedRows);
    }

    @Test
    void binEdgesAreDocumentedOnes() {
        ActivationHistogram h = new ActivationHistogram(1);
        assertThat(h.lowerEdge(0)).isZero();
        assertThat(h.upperEdge(0)).isEqualTo(1e-3f);
        assertThat(h.lowerEdge(11)).isEqualTo(1e-2f);
        assertThat(h.upperEdge(61)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(h.binOf(1f)).isEqualTo(31);
        assertThat(h.binOf(Math.nextDown(1f))).isEqualTo(30);
        assertThat(h.binOf(1e3f)).isEqualTo(61);
        IntervalSamples s = new IntervalSamples(1);
        assertThat(s.intervalCount()).isEqualTo(14);
        for (int i = 0; i <= 12; i += 2) {
            // interval edges at the decades are histogram edges
            assertThat(s.lowerEdge(i + 1)).isEqualTo(h.lowerEdge(5 * i + 1));
        }
        assertThatThrownBy(() -> h.binOf(0f)).hasMessageContaining("> 0");
    }

    @RepeatedTest(20)
    void mergedRandomSplitsEqualTheWhole(RepetitionInfo repetition) {
        SplittableRandom random = new SplittableRandom(100 + repetition.getCurrentRepetition());
        int dSae = 1 + random.nextInt(40);
        int rows = random.nextInt(300);
        int perInterval = 1 + random.nextInt(4);
        SparseCodes.Builder builder = SparseCodes.builder(dSae);
        for (int r = 0; r < rows; r++) {
            for (int f = 0; f < dSae; f++) {
                // few distinct values: many tokens share an interval, so the sampling rule really decides
                if (random.nextDouble() < 0.3) builder.add(f, (float) Math.pow(10, random.nextInt(-4, 5) / 2.0));
            }
            builder.endRow();
        }
        SparseCodes codes = builder.build();
        long[] docs = new long[rows];
        int[] positions = new int[rows];
        for (int r = 0; r < rows; r++) {
            docs[r] = random.nextInt(6) - 3;
            positions[r] = r;
        }
        int parts = 1 + random.nextInt(5);
        List<ActivationHistogram> histograms = new ArrayList<>();
        List<IntervalSamples> samples = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            histograms.add(new ActivationHistogram(dSae));
            samples.add(new IntervalSamples(dSae, perInterval));
        }
        for (int r = 0; r < rows; r++) {
            int p = random.nextInt(parts);
            histograms.get(p).addRow(codes, r);
            samples.get(p).addRow(codes, r, docs[r], positions[r]);
        }
        Random shuffle = new Random(random.nextLong());
        Collections.shuffle(histograms, shuffle);
        Collections.shuffle(samples, shuffle);
        for (int p = 1; p < parts; p++) {
            // through the wire format, as partial state would travel
            histograms
                    .get(0)
                    .merge(ActivationHistogram.fromBytes(histograms.get(p).toBytes()));
            samples.get(0).merge(IntervalSamples.fromBytes(samples.get(p).toBytes()));
        }
        ActivationHistogram wholeHistogram = new ActivationHistogram(dSae);
        wholeHistogram.addAll(codes);
        IntervalSamples wholeSamples = new IntervalSamples(dSae, perInterval);
        wholeSamples.addAll(codes, docs, positions);
        assertThat(histograms.get(0)).isEqualTo(wholeHistogram);
        assertThat(histograms.get(0).hashCode()).isEqualTo(wholeHistogram.hashCode());
        assertThat(samples.get(0)).isEqualTo(wholeSamples);
        assertThat(samples.get(0).hashCode()).isEqualTo(wholeSamples.hashCode());
        for (int f = 0; f < dSae; f++) {
            for (int interval = 0; interval < wholeSamples.intervalCount(); interval++) {
                assertThat(wholeSamples.samples(f, interval))
                        .as("feature %d interval %d", f, interval)
                        .isEqualTo(bruteForceSamples(codes, docs, positions, f, interval, perInterval));
            }
        }
    }

    @Test
    void serializationRoundTripsAndRejectsCorruption() {
        SparseCodes codes = SparseCodes.builder(16384)
                .add(3, 0.5f)
                .add(16383, 2000f)
                .endRow()
                .add(3, 7f)
                .endRow()
                .build();
        ActivationHistogram h = new ActivationHistogram(16384);
        h.addAll(codes);
        IntervalSamples s = new IntervalSamples(16384);
        s.addAll(codes, new long[] {4, 9}, new int[] {0, 1});
        assertThat(ActivationHistogram.fromBytes(h.toBytes())).isEqualTo(h);
        assertThat(IntervalSamples.fromBytes(s.toBytes())).isEqualTo(s);
        assertThat(ActivationHistogram.fromBytes(new ActivationHistogram(7).toBytes()))
                .isEqualTo(new ActivationHistogram(7));
        // sparse: two fired features cost bytes, not 16384 x 62 counts
        assertThat(h.toBytes().length).isLessThan(40);

        byte[] bytes = h.toBytes();
        assertThatThrownBy(() -> ActivationHistogram.fromBytes(Arrays.copyOf(bytes, bytes.length - 1)))
                .hasMessageContaining("ActivationHistogram")
                .hasMessageContaining("truncated");
        byte[] badVersion = bytes.clone();
        badVersion[4] = 9;
        assertThatThrownBy(() -> ActivationHistogram.fromBytes(badVersion)).hasMessageContaining("version 9");
        byte[] sampleBytes = s.toBytes();
        assertThatThrownBy(() -> IntervalSamples.fromBytes(Arrays.copyOf(sampleBytes, sampleBytes.length + 1)))
                .hasMessageContaining("IntervalSamples")
                .hasMessageContaining("trailing");
        assertThatThrownBy(() -> IntervalSamples.fromBytes(bytes)).hasMessageContaining("bad magic");
        assertThatThrownBy(() -> new IntervalSamples(2, 3).merge(new IntervalSamples(2, 4)))
                .hasMessageContaining("mismatch");
    }

    /** Of the tokens where {@code f} fired inside {@code interval}: smallest (key, doc, position) first. */
    private static List<Example> bruteForceSamples(
            SparseCodes codes, long[] docs, int[] positions, int f, int interval, int perInterval) {
        IntervalSamples bins = new IntervalSamples(1);
        List<Integer> members = new ArrayList<>();
        float[] dense = codes.toDense();
        for (int r = 0; r < codes.rows(); r++) {
            float a = dense[r * codes.dSae() + f];
            if (a > 0 && a >= bins.lowerEdge(interval) && a < bins.upperEdge(interval)) members.add(r);
        }
        members.sort((x, y) -> {
            long kx = IntervalSamples.sampleKey(docs[x], positions[x]);
            long ky = IntervalSamples.sampleKey(docs[y], positions[y]);
            if (kx != ky) return Long.compare(kx, ky);
            if (docs[x] != docs[y]) return Long.compare(docs[x], docs[y]);
            return Integer.compare(positions[x], positions[y]);
        });
        List<Example> out = new ArrayList<>();
        for (int r : members.subList(0, Math.min(perInterval, members.size()))) {
            out.add(new Example(docs[r], positions[r], dense[r * codes.dSae() + f]));
        }
        out.sort(Example.BEST_FIRST);
        return out;
    }

    private interface Fill {
        void into(ByteBuffer buffer);
    }

    private static void writeLittleEndian(Path file, int bytes, Fill fill) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        fill.into(b);
        Files.write(file, b.array());
    }
}
