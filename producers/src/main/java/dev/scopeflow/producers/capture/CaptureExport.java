package dev.scopeflow.producers.capture;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scopeflow.producers.model.CaptureResult;
import dev.scopeflow.producers.model.Gemma2Config;
import dev.scopeflow.producers.model.Gemma2Model;
import dev.scopeflow.producers.model.TokenBatch;
import dev.scopeflow.producers.tokenizer.TokenSequences;
import dev.scopeflow.schemas.NonFiniteValue;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.format.NpyWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The offline export behind {@code scopeflow capture}: one {@code <site>.npy} per site, float32
 * [n_sequences, seq_len, width] (positions past a sequence's end are 0), {@code tokens.json} (the token-id lists
 * the model saw) and {@code attention_mask.npy} (int64 [n_sequences, seq_len], 1 for real tokens), plus
 * {@code logits.npy} when asked. This layout is the public contract for checking fidelity against HF.
 */
public final class CaptureExport {

    /** What was written. */
    public record Result(
            int sequences, int seqLen, long tokens, Map<Site, Integer> widths, List<Path> files, double seconds) {}

    private CaptureExport() {}

    public static Result run(CaptureRequest request) {
        long start = System.nanoTime();
        Gemma2Config config = Gemma2Config.load(request.model());
        List<int[]> sequences = request.tokensFile() != null
                ? TokenSequences.fromTokensFile(request.tokensFile())
                : TokenSequences.fromTextFile(
                        request.textFile(), request.model(), config.bosTokenId(), request.contextLength());
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("no input sequences (empty input file?)");
        }
        List<Site> sites = List.copyOf(new LinkedHashSet<>(request.sites()));
        for (Site site : sites) {
            if (site.layer() >= config.numLayers()) {
                throw new IllegalArgumentException("site " + site + " is beyond the model: it has " + config.numLayers()
                        + " layers (0.." + (config.numLayers() - 1) + ")");
            }
        }
        int lastLayer = sites.stream().mapToInt(Site::layer).max().orElse(config.numLayers() - 1);
        Gemma2Model.LoadOptions options = request.logits()
                ? Gemma2Model.LoadOptions.allLayers(request.device())
                : Gemma2Model.LoadOptions.upToLayer(request.device(), lastLayer);
        int seqLen = sequences.stream().mapToInt(s -> s.length).max().orElseThrow();
        try {
            Files.createDirectories(request.outDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + request.outDir(), e);
        }
        List<Path> files = new ArrayList<>();
        Map<Site, Integer> widths = new LinkedHashMap<>();
        long tokens = 0;
        try (Gemma2Model model = Gemma2Model.load(request.model(), options)) {
            Map<Site, NpyWriter> writers = new LinkedHashMap<>();
            NpyWriter logitsWriter = null;
            try {
                for (Site site : sites) {
                    int width = model.width(site);
                    widths.put(site, width);
                    Path file = request.outDir().resolve(site + ".npy");
                    writers.put(site, NpyWriter.float32(file, sequences.size(), seqLen, width));
                    files.add(file);
                }
                if (request.logits()) {
                    Path file = request.outDir().resolve("logits.npy");
                    logitsWriter = NpyWriter.float32(file, sequences.size(), seqLen, config.vocabSize());
                    files.add(file);
                }
                for (int first = 0; first < sequences.size(); first += request.batchSize()) {
                    List<int[]> chunk =
                            sequences.subList(first, Math.min(sequences.size(), first + request.batchSize()));
                    TokenBatch batch = TokenBatch.rightPadded(chunk, config.padTokenId());
                    CaptureResult result = model.capture(batch, sites, request.logits());
                    for (Site site : sites) {
                        float[] values = result.values(site);
                        requireFinite(values, batch, widths.get(site), first, "site " + site, request.model());
                        writeRows(writers.get(site), batch, values, widths.get(site), seqLen);
                    }
                    if (logitsWriter != null) {
                        float[] logits = result.logits().orElseThrow();
                        requireFinite(logits, batch, config.vocabSize(), first, "the logits", request.model());
                        writeRows(logitsWriter, batch, logits, config.vocabSize(), seqLen);
                    }
                    for (int[] s : chunk) {
                        tokens += s.length;
                    }
                }
            } catch (RuntimeException | Error e) {
                // Closing an unfinished file fails too ("wrote 0 values"): keep the error that stopped the capture.
                closeAll(writers.values(), logitsWriter, e);
                throw e;
            }
            closeAll(writers.values(), logitsWriter, null);
        }
        files.add(writeMask(request.outDir().resolve("attention_mask.npy"), sequences, seqLen));
        files.add(writeTokens(request.outDir().resolve("tokens.json"), sequences));
        return new Result(sequences.size(), seqLen, tokens, widths, files, (System.nanoTime() - start) / 1e9);
    }

    private static void closeAll(Iterable<NpyWriter> writers, NpyWriter logitsWriter, Throwable failure) {
        List<NpyWriter> all = new ArrayList<>();
        writers.forEach(all::add);
        if (logitsWriter != null) {
            all.add(logitsWriter);
        }
        for (NpyWriter w : all) {
            try {
                w.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e);
            }
        }
    }

    /**
     * A NaN or Infinity from the model (overflow in a low-precision dtype, broken weights) must not end up in
     * the exported file, where it would only surface later inside someone's statistics.
     */
    private static void requireFinite(
            float[] values, TokenBatch batch, int width, int firstSequence, String what, Path model) {
        for (int s = 0; s < batch.batchSize(); s++) {
            int sequence = firstSequence + s;
            NonFiniteValue.first(values, s * batch.seqLen() * width, batch.length(s), width)
                    .ifPresent(bad -> {
                        throw new IllegalStateException("the model produced a non-finite activation " + bad.value()
                                + " at sequence " + sequence + ", position " + bad.row() + ", dimension "
                                + bad.dimension() + " of " + what + "; check the weights of "
                                + model);
                    });
        }
    }

    /** Each sequence's real rows, then zeros up to the file's common sequence length. */
    private static void writeRows(NpyWriter writer, TokenBatch batch, float[] values, int width, int seqLen) {
        for (int s = 0; s < batch.batchSize(); s++) {
            int length = batch.length(s);
            writer.write(values, s * batch.seqLen() * width, length * width);
            writer.writeZeros((long) (seqLen - length) * width);
        }
    }

    private static Path writeMask(Path file, List<int[]> sequences, int seqLen) {
        try (NpyWriter w = NpyWriter.int64(file, sequences.size(), seqLen)) {
            for (int[] s : sequences) {
                for (int t = 0; t < seqLen; t++) {
                    w.write(t < s.length ? 1L : 0L);
                }
            }
        }
        return file;
    }

    private static Path writeTokens(Path file, List<int[]> sequences) {
        try {
            new ObjectMapper().writeValue(file.toFile(), sequences);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }
}
