package dev.scopeflow.dashboard;

import java.util.Locale;

/**
 * How strongly a token is shaded for an activation: linearly, from none at 0 to full at {@code full} (the largest
 * value the page compares against), clamped; a value that is not a number, or a page with nothing above 0, shades
 * nothing.
 */
record Shading(double full) {

    /** The opacity of the shade, in [0, 1], to two decimals. */
    double opacity(double activation) {
        if (!(full > 0) || !(activation > 0) || Double.isNaN(full)) {
            return 0;
        }
        double fraction = Double.isInfinite(full) ? 0 : Math.min(1, activation / full);
        return Math.round(fraction * 100) / 100.0;
    }

    /** An inline style for the token (the page's CSP allows inline styles, no scripts). */
    String style(double activation) {
        return String.format(Locale.ROOT, "background:rgba(255,140,0,%.2f)", opacity(activation));
    }
}
