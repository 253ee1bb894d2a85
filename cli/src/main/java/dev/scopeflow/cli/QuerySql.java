package dev.scopeflow.cli;

import java.util.Locale;
import java.util.Set;

/**
 * What {@code scopeflow query} accepts, checked before anything is sent: exactly one statement (the JDBC driver
 * would run every statement of {@code a; b} and print only the last result), and without {@code --allow-writes}
 * one that reads. The server enforces read-only too (the read-only user, or {@code readonly=2}); this check
 * gives the clear message and covers servers given with a writing user.
 */
final class QuerySql {

    /** Statements that only read: ClickHouse runs them under {@code readonly}. */
    private static final Set<String> READS = Set.of("SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN");

    private QuerySql() {}

    /** Throws {@link IllegalArgumentException} naming what is wrong with {@code sql}. */
    static void check(String sql, boolean allowWrites) {
        String code = withoutLiteralsAndComments(sql);
        int semicolon = code.indexOf(';');
        if (semicolon >= 0 && !code.substring(semicolon + 1).replace(";", "").isBlank()) {
            throw new IllegalArgumentException(
                    "query runs one statement at a time, got several separated by ';': run each with its own query");
        }
        String first =
                code.strip().replaceFirst("^[(\\s]+", "").split("[\\s(;]", 2)[0].toUpperCase(Locale.ROOT);
        if (first.isEmpty()) {
            throw new IllegalArgumentException("query got no SQL statement");
        }
        if (!allowWrites && !READS.contains(first)) {
            throw new IllegalArgumentException("query only reads (SELECT, WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN); a "
                    + first + " statement changes the results: pass --allow-writes if you mean it");
        }
    }

    /**
     * {@code sql} with string literals, quoted identifiers and comments blanked out, so a ';' or keyword inside
     * them counts for nothing. Backslash escapes and doubled quotes inside quotes are honoured, as ClickHouse does.
     */
    static String withoutLiteralsAndComments(String sql) {
        StringBuilder code = new StringBuilder(sql.length());
        int i = 0;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (c == '\'' || c == '"' || c == '`') {
                int end = i + 1;
                while (end < sql.length()) {
                    char d = sql.charAt(end);
                    if (d == '\\') {
                        end += 2;
                    } else if (d == c && end + 1 < sql.length() && sql.charAt(end + 1) == c) {
                        end += 2;
                    } else if (d == c) {
                        break;
                    } else {
                        end++;
                    }
                }
                code.append(c).append(c);
                i = end + 1;
            } else if (sql.startsWith("--", i)) {
                int end = sql.indexOf('\n', i);
                i = end < 0 ? sql.length() : end;
                code.append(' ');
            } else if (sql.startsWith("/*", i)) {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? sql.length() : end + 2;
                code.append(' ');
            } else {
                code.append(c);
                i++;
            }
        }
        return code.toString();
    }
}
