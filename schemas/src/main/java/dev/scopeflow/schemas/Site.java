package dev.scopeflow.schemas;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * A Gemma Scope capture site: a sublayer kind at a zero-indexed layer, written {@code res.20},
 * {@code att.12}, {@code mlp.3}. Serializable because job configurations that name sites travel with Flink's
 * job graph.
 */
public record Site(Kind kind, int layer) implements Serializable {

    /** Where in a decoder layer the activations are read (shared/ARCHITECTURE.md §2). */
    public enum Kind {
        /** Decoder-layer output (residual stream after the block). */
        RES,
        /** Per-head attention outputs concatenated before {@code o_proj}. */
        ATT,
        /** MLP output after {@code post_feedforward_layernorm}. */
        MLP;

        public String code() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Site {
        Objects.requireNonNull(kind, "kind");
        if (layer < 0) {
            throw new IllegalArgumentException("site layer must be >= 0, got " + layer);
        }
    }

    /** Parses {@code kind.layer}, e.g. {@code res.20}; the error names the bad text. */
    public static Site parse(String text) {
        Objects.requireNonNull(text, "site");
        int dot = text.indexOf('.');
        if (dot <= 0 || dot == text.length() - 1) {
            throw new IllegalArgumentException(
                    "site '" + text + "' is not of the form kind.layer (e.g. res.20, att.12, mlp.3)");
        }
        String kindText = text.substring(0, dot).trim().toLowerCase(Locale.ROOT);
        Kind kind = switch (kindText) {
            case "res" -> Kind.RES;
            case "att" -> Kind.ATT;
            case "mlp" -> Kind.MLP;
            default ->
                throw new IllegalArgumentException(
                        "site '" + text + "' has unknown kind '" + kindText + "' (expected res, att or mlp)");
        };
        int layer;
        try {
            layer = Integer.parseInt(text.substring(dot + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("site '" + text + "' has a non-numeric layer", e);
        }
        if (layer < 0) {
            throw new IllegalArgumentException("site '" + text + "' has a negative layer");
        }
        return new Site(kind, layer);
    }

    @Override
    public String toString() {
        return kind.code() + "." + layer;
    }
}
