package dev.scopeflow.schemas.clickhouse;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * ClickHouse's TabSeparated text: field escaping, and the quoted literals used for array elements.
 *
 * <p>An array field is written as a literal {@code ['a','b\'c']}: its strings are quoted and escaped
 * inside the literal, so the field itself contains no raw tab or newline and needs no second escaping —
 * ClickHouse reads and writes arrays in TSV exactly this way.
 */
public final class ClickHouseTsv {

    /** DateTime text; ClickHouse reads it in the column's time zone, so our DDL declares DateTime('UTC'). */
    private static final DateTimeFormatter DATE_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    /** TSV's marker for NULL. */
    public static final String NULL = "\\N";

    private ClickHouseTsv() {}

    /** Escapes a string for one TabSeparated field. */
    public static String escape(String value) {
        StringBuilder out = new StringBuilder(value.length() + 8);
        appendEscaped(out, value, false);
        return out.toString();
    }

    /** Reverses TabSeparated escaping ({@code \t \n \\ \' \0 \b \f \r \a \v \xHH}). */
    public static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c != '\\' || i == field.length() - 1) {
                out.append(c);
                continue;
            }
            char next = field.charAt(++i);
            switch (next) {
                case 't' -> out.append('\t');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case '0' -> out.append('\0');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'a' -> out.append('\u0007');
                case 'v' -> out.append('\u000B');
                case 'x' -> {
                    if (i + 2 < field.length() && isHex(field.charAt(i + 1)) && isHex(field.charAt(i + 2))) {
                        out.append((char) Integer.parseInt(field.substring(i + 1, i + 3), 16));
                        i += 2;
                    } else {
                        out.append('x');
                    }
                }
                default -> out.append(next); // \\ \' \" and any other escaped char stand for themselves
            }
        }
        return out.toString();
    }

    /** A single-quoted ClickHouse string literal, as used inside array literals. */
    public static String quote(String value) {
        StringBuilder out = new StringBuilder(value.length() + 10).append('\'');
        appendEscaped(out, value, true);
        return out.append('\'').toString();
    }

    /**
     * Formats a Java value as one TabSeparated field: strings escaped; integers and BigDecimal as plain
     * text; float/double in full precision ({@link Float#toString}/{@link Double#toString}, NaN and
     * infinities as {@code nan}/{@code inf}/{@code -inf}); booleans as 1/0; {@link Instant} and
     * {@link LocalDateTime} (taken as UTC) as {@code YYYY-MM-DD hh:mm:ss}, sub-second part dropped;
     * collections and Java arrays as array literals; {@code null} as {@code \N}.
     */
    public static String format(Object value) {
        if (value == null) {
            return NULL;
        }
        if (value instanceof CharSequence text) {
            return escape(text.toString());
        }
        if (value instanceof Collection<?> || value.getClass().isArray()) {
            return arrayLiteral(value);
        }
        return scalar(value);
    }

    /** A DateTime('UTC') field as ClickHouse writes it ({@code YYYY-MM-DD hh:mm:ss}): the inverse of {@link #format}. */
    public static Instant parseDateTime(String field) {
        return LocalDateTime.parse(field, DATE_TIME).toInstant(ZoneOffset.UTC);
    }

    /**
     * A Float32/Float64 field as ClickHouse writes it: Java's syntax plus {@code inf}, {@code -inf} and {@code nan}
     * (the inverse of {@link #format} for floats).
     */
    public static double parseReal(String field) {
        return switch (field) {
            case "inf", "+inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            case "nan", "-nan" -> Double.NaN;
            default -> Double.parseDouble(field);
        };
    }

    /**
     * Splits an array literal as ClickHouse writes it ({@code ['a','b']}, {@code [1,2]}) into its elements:
     * quoted strings unquoted and unescaped, {@code NULL} as {@code null}, anything else (numbers, nested
     * arrays, tuples) as its literal text.
     */
    public static List<String> parseArray(String literal) {
        String text = literal.strip();
        if (text.length() < 2 || text.charAt(0) != '[' || text.charAt(text.length() - 1) != ']') {
            throw new IllegalArgumentException("not an array literal: " + literal);
        }
        List<String> elements = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        int start = 1;
        for (int i = 1; i < text.length() - 1; i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '\\') {
                    i++;
                } else if (c == '\'') {
                    quoted = false;
                }
            } else if (c == '\'') {
                quoted = true;
            } else if (c == '[' || c == '(') {
                depth++;
            } else if (c == ']' || c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                elements.add(element(text.substring(start, i)));
                start = i + 1;
            }
        }
        String last = text.substring(start, text.length() - 1);
        if (!last.isBlank() || !elements.isEmpty()) {
            elements.add(element(last));
        }
        return elements;
    }

    private static String element(String raw) {
        String text = raw.strip();
        if (text.length() >= 2 && text.charAt(0) == '\'' && text.charAt(text.length() - 1) == '\'') {
            return unescape(text.substring(1, text.length() - 1));
        }
        return text.equals("NULL") ? null : text;
    }

    private static String arrayLiteral(Object array) {
        StringBuilder out = new StringBuilder().append('[');
        Iterable<?> items = array instanceof Collection<?> collection ? collection : arrayItems(array);
        boolean first = true;
        for (Object item : items) {
            if (!first) {
                out.append(',');
            }
            first = false;
            if (item == null) {
                out.append("NULL");
            } else if (item instanceof CharSequence text) {
                out.append(quote(text.toString()));
            } else if (item instanceof Collection<?> || item.getClass().isArray()) {
                out.append(arrayLiteral(item));
            } else if (item instanceof Instant || item instanceof LocalDateTime) {
                out.append('\'').append(scalar(item)).append('\'');
            } else {
                out.append(scalar(item));
            }
        }
        return out.append(']').toString();
    }

    private static List<Object> arrayItems(Object array) {
        int length = Array.getLength(array);
        List<Object> items = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            items.add(Array.get(array, i));
        }
        return items;
    }

    private static String scalar(Object value) {
        if (value instanceof Float f) {
            return floatText(f, Float.toString(f));
        }
        if (value instanceof Double d) {
            return floatText(d, Double.toString(d));
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.toPlainString();
        }
        if (value instanceof Number) {
            return value.toString(); // Byte, Short, Integer, Long, BigInteger, atomics
        }
        if (value instanceof Boolean b) {
            return b ? "1" : "0";
        }
        if (value instanceof Instant instant) {
            return DATE_TIME.format(instant.truncatedTo(ChronoUnit.SECONDS));
        }
        if (value instanceof LocalDateTime dateTime) {
            return DATE_TIME.format(dateTime.toInstant(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS));
        }
        throw new IllegalArgumentException("cannot write a " + value.getClass().getName()
                + " to ClickHouse; use String, a number, Boolean, Instant, LocalDateTime, a collection or an array");
    }

    private static String floatText(double value, String javaText) {
        if (Double.isNaN(value)) {
            return "nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        return javaText;
    }

    private static void appendEscaped(StringBuilder out, String value, boolean quoted) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\0' -> out.append("\\0");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\'' -> out.append(quoted ? "\\'" : "'");
                default -> out.append(c);
            }
        }
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }
}
