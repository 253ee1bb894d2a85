package dev.scopeflow.schemas.results;

import java.time.Instant;

/** {@code saes} (V001): registered SAEs; re-registering replaces the row with the later {@code registered_at}. */
public final class SaesRows extends TsvRows {

    public static final ResultsTable TABLE = ResultsTable.of(
            "saes",
            "sae_id String",
            "site String",
            "path String",
            "sha256 String",
            "architecture String",
            "d_in UInt32",
            "d_sae UInt32",
            "neuronpedia_id String",
            "registered_at DateTime('UTC')");

    public SaesRows() {
        super(TABLE);
    }

    /** {@code neuronpediaId} is empty when unknown. */
    public SaesRows add(
            String saeId,
            String site,
            String path,
            String sha256,
            String architecture,
            long dIn,
            long dSae,
            String neuronpediaId,
            Instant registeredAt) {
        addRow(saeId, site, path, sha256, architecture, dIn, dSae, neuronpediaId, registeredAt);
        return this;
    }
}
