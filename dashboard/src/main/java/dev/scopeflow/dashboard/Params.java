package dev.scopeflow.dashboard;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** A request's query parameters; every accessor fails with a 400 that names the parameter. */
final class Params {

    private final Map<String, String> values;

    private Params(Map<String, String> values) {
        this.values = values;
    }

    static Params of(URI uri) {
        Map<String, String> values = new HashMap<>();
        String query = uri.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
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

    /** A required integer in [0, max]. */
    long nonNegative(String name, long max) {
        return parse(name, text(name), max);
    }

    /** An optional integer in [0, max], {@code fallback} when absent or empty. */
    long nonNegative(String name, long max, long fallback) {
        String value = values.get(name);
        return value == null || value.isEmpty() ? fallback : parse(name, value, max);
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
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw HttpError.badRequest("parameter '" + name + "' must be a whole number, got '" + value + "'");
        }
        if (parsed < 0 || parsed > max) {
            throw HttpError.badRequest("parameter '" + name + "' must be between 0 and " + max + ", got " + parsed);
        }
        return parsed;
    }
}
