package dev.scopeflow.producers.model;

import dev.scopeflow.schemas.Site;
import java.util.Objects;

/** One evaluation of {@link Gemma2Model#evaluate}: {@code replacement} spliced in at {@code site}. */
public record Splice(Site site, SiteReplacement replacement) {

    public Splice {
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(replacement, "replacement");
    }
}
