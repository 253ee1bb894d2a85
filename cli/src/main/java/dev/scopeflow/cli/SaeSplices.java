package dev.scopeflow.cli;

import dev.scopeflow.flink.config.SaeSpec;
import dev.scopeflow.producers.model.Gemma2Config;
import dev.scopeflow.producers.model.Splice;
import dev.scopeflow.producers.stream.CorpusProducer;
import dev.scopeflow.sae.kernel.MatmulBackend;
import dev.scopeflow.sae.model.SaeLoader;
import dev.scopeflow.sae.model.SparseAutoencoder;
import dev.scopeflow.schemas.ComputeDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * SAEs given as {@code ID=SITE=PATH} made into splices of the model-in-the-loop evaluation ({@code eval --sae},
 * {@code produce --eval-sae}): each replaces its site's value by {@code decode(encode(x))} in float32, exactly what
 * the statistics job computes from a captured activation. Loading checks that ids are unique and that each SAE's
 * d_in is its site's width in the checkpoint's config, before any model weight is read. Closing frees the SAEs.
 */
final class SaeSplices implements AutoCloseable {

    private final List<SparseAutoencoder> loaded;
    private final List<CorpusProducer.Evaluation> evaluations;

    private SaeSplices(List<SparseAutoencoder> loaded, List<CorpusProducer.Evaluation> evaluations) {
        this.loaded = loaded;
        this.evaluations = evaluations;
    }

    /** SAEs encoded by {@code backend} on {@code device}; {@code option} names the command's option in errors. */
    static SaeSplices load(
            Path modelDir, List<SaeSpec> specs, MatmulBackend backend, ComputeDevice device, String option)
            throws IOException {
        Set<String> ids = new HashSet<>();
        specs.forEach(s -> {
            if (!ids.add(s.saeId())) {
                throw new IllegalArgumentException(option + " id '" + s.saeId() + "' is given twice");
            }
        });
        if (specs.isEmpty()) {
            return new SaeSplices(List.of(), List.of()); // no evaluation: the checkpoint is not even opened here
        }
        Gemma2Config config = Gemma2Config.load(modelDir);
        List<SparseAutoencoder> loaded = new ArrayList<>();
        List<CorpusProducer.Evaluation> evaluations = new ArrayList<>();
        try {
            for (SaeSpec spec : specs) {
                if (spec.site().layer() >= config.numLayers()) {
                    throw new IllegalArgumentException(option + " " + spec.saeId() + ": site " + spec.site()
                            + " is beyond " + modelDir + ", which has " + config.numLayers() + " layers");
                }
                SparseAutoencoder sae = SaeLoader.load(Path.of(spec.path()), backend, device);
                loaded.add(sae);
                int width = config.siteWidth(spec.site().kind());
                if (sae.dIn() != width) {
                    throw new IllegalArgumentException("SAE " + spec.saeId() + " (" + spec.path() + ") has d_in "
                            + sae.dIn() + ", but site " + spec.site() + " of " + modelDir + " has width " + width);
                }
                evaluations.add(new CorpusProducer.Evaluation(
                        spec.saeId(), new Splice(spec.site(), (x, rows) -> sae.decode(sae.encode(x, rows)))));
            }
        } catch (IOException | RuntimeException e) {
            loaded.forEach(SparseAutoencoder::close);
            throw e;
        }
        return new SaeSplices(loaded, List.copyOf(evaluations));
    }

    /** In the order given, with their ids. */
    List<CorpusProducer.Evaluation> evaluations() {
        return evaluations;
    }

    List<Splice> splices() {
        return evaluations.stream().map(CorpusProducer.Evaluation::splice).toList();
    }

    @Override
    public void close() {
        loaded.forEach(SparseAutoencoder::close);
    }
}
