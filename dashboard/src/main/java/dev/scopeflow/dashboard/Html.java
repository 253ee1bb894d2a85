package dev.scopeflow.dashboard;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** HTML text helpers: every value that came from ClickHouse or a request passes through {@link #escape}. */
public final class Html {

    private Html() {}

    /**
     * Escapes text for an element body or a double- or single-quoted attribute value. Control characters other
     * than tab and newline are shown as U+FFFD so a stored id cannot smuggle in invisible markup; bidirectional
     * controls are spelled out (e.g. {@code <U+202E>}) so a stored id cannot reorder the text around it.
     */
    public static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    if (c < 0x20 && c != '\t' && c != '\n') {
                        out.append('\uFFFD');
                    } else if (isBidiControl(c)) {
                        out.append(String.format(Locale.ROOT, "&lt;U+%04X&gt;", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    /** LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI, PDI; LRM, RLM; the Arabic letter mark. */
    static boolean isBidiControl(int c) {
        return (c >= 0x202A && c <= 0x202E)
                || (c >= 0x2066 && c <= 0x2069)
                || c == 0x200E
                || c == 0x200F
                || c == 0x061C;
    }

    /** A query-string value, percent-encoded (then HTML-escaped where it lands in an attribute). */
    public static String urlParam(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** A metric as shown on every page: six significant digits, {@code NaN}/{@code ∞} spelled out. */
    public static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "∞" : "-∞";
        }
        return String.format(Locale.ROOT, "%.6g", value);
    }

    /** A fraction as a percentage with three decimals, e.g. {@code 12.500 %}. */
    public static String percent(double fraction) {
        return Double.isNaN(fraction) ? "NaN" : String.format(Locale.ROOT, "%.3f %%", fraction * 100);
    }
}
