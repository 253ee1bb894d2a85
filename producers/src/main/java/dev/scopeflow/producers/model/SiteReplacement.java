package dev.scopeflow.producers.model;

/**
 * What an evaluation splices in at a site instead of the model's own value, e.g. an SAE's
 * {@code decode(encode(x))}. The model knows nothing of SAEs: whoever evaluates one adapts it to this.
 */
@FunctionalInterface
public interface SiteReplacement {

    /** Returns {@code rows × width} values (row-major) to use instead of {@code x}, laid out the same way. */
    float[] replace(float[] x, int rows);
}
