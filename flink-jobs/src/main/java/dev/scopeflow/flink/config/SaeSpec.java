package dev.scopeflow.flink.config;

import dev.scopeflow.schemas.Site;
import java.io.Serializable;
import java.util.Objects;

/**
 * One SAE the job applies: its id (the key of its statistics in ClickHouse), the site whose activations it
 * reads, and the path of its weights (a Gemma Scope {@code params.npz} or a SAELens directory). Serializable only because Flink ships
 * function configuration with the job graph; it never goes into state.
 */
public record SaeSpec(String saeId, Site site, String path) implements Serializable {

    public SaeSpec {
        Objects.requireNonNull(saeId, "saeId");
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(path, "path");
        if (saeId.isBlank()) {
            throw new IllegalArgumentException("SAE id must not be blank (path " + path + ")");
        }
    }
}
