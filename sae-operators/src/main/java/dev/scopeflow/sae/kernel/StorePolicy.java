package dev.scopeflow.sae.kernel;

import dev.scopeflow.schemas.results.StorePoliciesRows;
import java.util.Locale;

/**
 * Which active entries of a token's sparse codes the activation store keeps: {@code all}, {@code none},
 * {@code min-activation X} (activation {@code >= X}) or {@code top-per-token N} (the N largest activations of
 * the token, ties going to the lower feature index, as in TopK encoding). The text form ({@link #parse},
 * {@link #toString}) is what the CLI takes and the runs registry records. Immutable.
 */
public final class StorePolicy {

    private enum Kind {
        ALL,
        NONE,
        MIN_ACTIVATION,
        TOP_PER_TOKEN
    }

    private static final String FORMS = "all, none, 'min-activation X' or 'top-per-token N'";

    private final Kind kind;
    private final float minActivation;
    private final int topPerToken;

    private StorePolicy(Kind kind, float minActivation, int topPerToken) {
        this.kind = kind;
        this.minActivation = minActivation;
        this.topPerToken = topPerToken;
    }

    public static StorePolicy all() {
        return new StorePolicy(Kind.ALL, 0f, 0);
    }

    public static StorePolicy none() {
        return new StorePolicy(Kind.NONE, 0f, 0);
    }

    /** Keeps the entries with activation {@code >= threshold}; the threshold must be finite and {@code > 0}. */
    public static StorePolicy minActivation(float threshold) {
        if (!(threshold > 0f) || threshold == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException(
                    "store policy min-activation needs a finite threshold > 0 (every stored activation is > 0), got "
                            + threshold);
        }
        return new StorePolicy(Kind.MIN_ACTIVATION, threshold, 0);
    }

    /** Keeps the {@code n} largest activations of each token, ties going to the lower feature index. */
    public static StorePolicy topPerToken(int n) {
        if (n < 1) {
            throw new IllegalArgumentException(
                    "store policy top-per-token needs N >= 1 (use 'none' to store nothing), got " + n);
        }
        return new StorePolicy(Kind.TOP_PER_TOKEN, 0f, n);
    }

    /** {@code all}, {@code none}, {@code min-activation X} or {@code top-per-token N}; errors name the bad text. */
    public static StorePolicy parse(String text) {
        String[] words = text.strip().split("\\s+");
        String name = words[0].toLowerCase(Locale.ROOT);
        if (words.length == 1 && name.equals("all")) {
            return all();
        }
        if (words.length == 1 && name.equals(StorePoliciesRows.NONE)) {
            return none();
        }
        if (words.length == 2 && name.equals("min-activation")) {
            float threshold;
            try {
                threshold = Float.parseFloat(words[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "store policy '" + text + "': X of min-activation X is not a number: '" + words[1] + "'");
            }
            try {
                return minActivation(threshold);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("store policy '" + text + "': " + e.getMessage(), e);
            }
        }
        if (words.length == 2 && name.equals("top-per-token")) {
            int n;
            try {
                n = Integer.parseInt(words[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "store policy '" + text + "': N of top-per-token N is not an integer: '" + words[1] + "'");
            }
            try {
                return topPerToken(n);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("store policy '" + text + "': " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("store policy '" + text + "' is not one of " + FORMS);
    }

    /** Whether every code is stored ({@link #select} returns its input). */
    public boolean storesEverything() {
        return kind == Kind.ALL;
    }

    /** Whether nothing is stored: the job then writes no activations at all. */
    public boolean storesNothing() {
        return kind == Kind.NONE;
    }

    /**
     * The entries of {@code codes} this policy keeps, row for row, in ascending feature order. The result is for
     * storage: it does not carry a per-row output transform, so it is not for decoding.
     */
    public SparseCodes select(SparseCodes codes) {
        if (kind == Kind.ALL) {
            return codes;
        }
        SparseCodes.Builder kept = SparseCodes.builder(codes.dSae());
        switch (kind) {
            case NONE -> {
                for (int r = 0; r < codes.rows(); r++) {
                    kept.endRow();
                }
            }
            case MIN_ACTIVATION -> {
                for (int r = 0; r < codes.rows(); r++) {
                    for (int k = codes.start(r); k < codes.end(r); k++) {
                        if (codes.value(k) >= minActivation) {
                            kept.add(codes.feature(k), codes.value(k));
                        }
                    }
                    kept.endRow();
                }
            }
            case TOP_PER_TOKEN -> selectTopPerToken(codes, kept);
            default -> throw new IllegalStateException("unhandled store policy " + kind);
        }
        return kept.build();
    }

    private void selectTopPerToken(SparseCodes codes, SparseCodes.Builder kept) {
        TopKSelector selector = new TopKSelector(Math.min(topPerToken, codes.dSae()));
        float[] rowValues = new float[0];
        for (int r = 0; r < codes.rows(); r++) {
            int start = codes.start(r);
            int l0 = codes.l0(r);
            if (l0 <= topPerToken) {
                for (int k = start; k < start + l0; k++) {
                    kept.add(codes.feature(k), codes.value(k));
                }
            } else {
                if (rowValues.length < l0) {
                    rowValues = new float[l0];
                }
                for (int i = 0; i < l0; i++) {
                    rowValues[i] = codes.value(start + i);
                }
                // Entries ascend by feature, so the selector's lower-index tie rule is the lower-feature rule.
                for (int i : selector.select(rowValues, 0, l0)) {
                    kept.add(codes.feature(start + i), rowValues[i]);
                }
            }
            kept.endRow();
        }
    }

    /** The text form {@link #parse} reads back: {@code all}, {@code none}, {@code min-activation 0.5}, ... */
    @Override
    public String toString() {
        return switch (kind) {
            case ALL -> "all";
            case NONE -> StorePoliciesRows.NONE;
            case MIN_ACTIVATION -> "min-activation " + minActivation;
            case TOP_PER_TOKEN -> "top-per-token " + topPerToken;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StorePolicy p
                && kind == p.kind
                && Float.compare(minActivation, p.minActivation) == 0
                && topPerToken == p.topPerToken;
    }

    @Override
    public int hashCode() {
        return (kind.hashCode() * 31 + Float.hashCode(minActivation)) * 31 + topPerToken;
    }
}
