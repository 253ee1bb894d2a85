package dev.scopeflow.producers.model;

import dev.scopeflow.schemas.Site;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Activations of one forward pass: for each requested site a float32 array laid out [batch, seqLen, width]
 * (row-major), plus the logits [batch, seqLen, vocab] when asked for. Values at padded positions are what the
 * model computes there and carry no meaning; use the batch's attention mask.
 */
public final class CaptureResult {

    private final int batchSize;
    private final int seqLen;
    private final Map<Site, float[]> sites;
    private final Map<Site, Integer> widths;
    private final float[] logits;
    private final int vocabSize;

    CaptureResult(
            int batchSize,
            int seqLen,
            Map<Site, float[]> sites,
            Map<Site, Integer> widths,
            float[] logits,
            int vocabSize) {
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.sites = Collections.unmodifiableMap(sites);
        this.widths = Collections.unmodifiableMap(widths);
        this.logits = logits;
        this.vocabSize = vocabSize;
    }

    public int batchSize() {
        return batchSize;
    }

    public int seqLen() {
        return seqLen;
    }

    public Set<Site> sites() {
        return sites.keySet();
    }

    public int width(Site site) {
        return widths.get(require(site));
    }

    /** [batch, seqLen, width] row-major; the array is the result's own, read-only by contract. */
    public float[] values(Site site) {
        return sites.get(require(site));
    }

    /** [batch, seqLen, vocab] after the final softcap, when the forward was asked for logits. */
    public Optional<float[]> logits() {
        return Optional.ofNullable(logits);
    }

    public int vocabSize() {
        return vocabSize;
    }

    private Site require(Site site) {
        if (!sites.containsKey(site)) {
            throw new IllegalArgumentException("site " + site + " was not captured (captured: " + sites.keySet() + ")");
        }
        return site;
    }
}
