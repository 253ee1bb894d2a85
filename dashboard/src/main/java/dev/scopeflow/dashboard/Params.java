package dev.scopeflow.dashboard;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * A request's query parameters; every accessor fails with a 400 that names the parameter. Names and values are
 * at most {@link #MAX_LENGTH} characters, ids hold no quotes, backslashes, semicolons, control or bidirectional
 * characters, numbers are ASCII digits: what a page is asked for never reaches SQL or the page in a surprising
 * shape (values also go through {@code ClickHouseTsv.quote} and {@link Html#escape}).
 */
final class Params {

    static final int MAX_LENGTH = 400;
    private static final Pattern ASCII_DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern SIGNED_ASCII_DIGITS = Pattern.compile("-?[0-9]+");
    /** Room for a handful of parameters at their longest, percent-encoded. */
    private static final int MAX_QUERY_LENGTH = 8 * 3 * MAX_LENGTH;

    private final Map<String, String> values;

    private Params(Map<String, String> values) {
        this.values = values;
    }

    static Params of(URI uri) {
        Map<String, String> values = new HashMap<>();
        String query = uri.getRawQuery();
        if (query != null && query.length() > MAX_QUERY_LENGTH) {
            throw HttpError.badRequest("the query string is " + query.length() + " characters long, more than "
                    + MAX_QUERY_LENGTH + " allowed");
        }
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                if (name.length() > MAX_LENGTH || value.length() > MAX_LENGTH) {
                    throw HttpError.badRequest("parameter '" + (name.length() > 40 ? name.substring(0, 40) + "…" : name)
                            + "' is longer than " + MAX_LENGTH + " characters");
                }
                values.putIfAbsent(name, value); // the first occurrence wins, like most servers
            }
        }
        return new Params(values);
    }

    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest("malformed percent-encoding in the query string: " + raw);
        }
    }

    /** A required, non-empty text parameter. */
    String text(String name) {
        String value = values.get(name);
        if (value == null || value.isEmpty()) {
            throw HttpError.badRequest("missing parameter '" + name + "'");
        }
        return value;
    }

    /**
     * A required id (run, SAE): any text but quotes, backslashes, semicolons, control and format characters
     * (bidirectional controls among them). Ids the CLI writes never hold those; a request that does is an
     * injection attempt or a mistake.
     */
    String id(String name) {
        String value = text(name);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\''
                    || c == '"'
                    || c == '`'
                    || c == '\\'
                    || c == ';'
                    || Character.isISOControl(c)
                    || Character.getType(c) == Character.FORMAT
                    || Html.isBidiControl(c)) {
                throw HttpError.badRequest("parameter '" + name + "' holds a character not allowed in an id, "
                        + String.format(java.util.Locale.ROOT, "U+%04X", (int) c) + " at position " + i);
            }
        }
        return value;
    }

    /** A required integer in [0, max]. */
    long nonNegative(String name, long max) {
        return parse(name, text(name), max);
    }

    /** An optional integer in [0, max], {@code fallback} when absent or empty. */
    long nonNegative(String name, long max, long fallback) {
        String value = values.get(name);
        return value == null || value.isEmpty() ? fallback : parse(name, value, max);
    }

    /** A required integer, negative ones too (document ids may be negative). */
    long integer(String name) {
        String value = text(name);
        if (!SIGNED_ASCII_DIGITS.matcher(value).matches()) {
            throw HttpError.badRequest("parameter '" + name + "' must be a whole number in ASCII digits, with an"
                    + " optional leading '-', got '" + value + "'");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw HttpError.badRequest("parameter '" + name + "' is too large, got '" + value + "'");
        }
    }

    /** An optional integer in [0, max]; empty when absent or empty. */
    OptionalLong optionalNonNegative(String name, long max) {
        String value = values.get(name);
        return value == null || value.isEmpty() ? OptionalLong.empty() : OptionalLong.of(parse(name, value, max));
    }

    /** An optional parameter that must be one of {@code allowed}; the first is the default. */
    String oneOf(String name, String... allowed) {
        String value = values.get(name);
        if (value == null || value.isEmpty()) {
            return allowed[0];
        }
        for (String option : allowed) {
            if (option.equals(value)) {
                return value;
            }
        }
        throw HttpError.badRequest(
                "parameter '" + name + "' must be one of " + String.join(", ", allowed) + ", got '" + value + "'");
    }

    private static long parse(String name, String value, long max) {
        // ASCII digits only: Long.parseLong also takes "+7" and other scripts' digits such as "٧".
        if (!ASCII_DIGITS.matcher(value).matches()) {
            throw HttpError.badRequest(
                    "parameter '" + name + "' must be a whole number in ASCII digits, got '" + value + "'");
        }
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw HttpError.badRequest("parameter '" + name + "' is too large, got '" + value + "'");
        }
        if (parsed < 0 || parsed > max) {
            throw HttpError.badRequest("parameter '" + name + "' must be between 0 and " + max + ", got " + parsed);
        }
        return parsed;
    }
}
