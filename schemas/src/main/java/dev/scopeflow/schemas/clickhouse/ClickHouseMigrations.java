package dev.scopeflow.schemas.clickhouse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the versioned DDL under {@code clickhouse/migrations/} (listed in {@value #INDEX}) to one
 * database. Applied versions are recorded in {@code <db>.schema_migrations}; a version already there is
 * skipped, so applying twice applies nothing the second time. Statements are idempotent, so a migration
 * interrupted half-way, or run by two processes at once, is simply completed on the next run.
 */
public final class ClickHouseMigrations {

    public static final String INDEX = "clickhouse/migrations/index.txt";
    private static final String DIRECTORY = "clickhouse/migrations/";
    private static final String DB_PLACEHOLDER = "${db}";
    private static final Pattern FILE_NAME = Pattern.compile("V(\\d{3,})__([A-Za-z0-9_]+)\\.sql");
    private static final Pattern DATABASE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Logger LOG = LoggerFactory.getLogger(ClickHouseMigrations.class);

    /** One migration file, placeholders substituted and split into statements. */
    public record Migration(int version, String name, String file, List<String> statements) {
        public Migration {
            statements = List.copyOf(statements);
        }
    }

    private ClickHouseMigrations() {}

    /**
     * Applies the migrations {@code database} lacks, in version order.
     *
     * @return the versions applied by this call (empty when the database was up to date)
     */
    public static List<Integer> apply(ClickHouseHttp clickHouse, String database) {
        Objects.requireNonNull(clickHouse, "clickHouse");
        List<Migration> migrations = load(database);
        Set<Integer> done = appliedVersions(clickHouse, database);
        List<Integer> appliedNow = new ArrayList<>();
        for (Migration migration : migrations) {
            if (done.contains(migration.version())) {
                continue;
            }
            LOG.info("Applying ClickHouse migration {} to database {}", migration.file(), database);
            for (String statement : migration.statements()) {
                clickHouse.execute(statement);
            }
            clickHouse.insert(
                    database + ".schema_migrations",
                    List.of("version", "name", "applied_at"),
                    List.of(List.of(migration.version(), migration.name(), Instant.now())));
            appliedNow.add(migration.version());
        }
        return appliedNow;
    }

    /** Reads every migration listed in the index, with {@code ${db}} replaced by {@code database}. */
    public static List<Migration> load(String database) {
        validateDatabase(database);
        List<Migration> migrations = new ArrayList<>();
        int previous = 0;
        for (String line : readResource(INDEX).split("\n")) {
            String file = line.strip();
            if (file.isEmpty() || file.startsWith("#")) {
                continue;
            }
            Matcher name = FILE_NAME.matcher(file);
            if (!name.matches()) {
                throw new IllegalStateException(INDEX + " lists '" + file + "', expected V<NNN>__<name>.sql");
            }
            int version = Integer.parseInt(name.group(1));
            if (version <= previous) {
                throw new IllegalStateException(INDEX + " lists version " + version + " after " + previous
                        + "; versions must be unique and increasing");
            }
            previous = version;
            String sql = substitute(readResource(DIRECTORY + file), database, file);
            List<String> statements = splitStatements(sql);
            if (statements.isEmpty()) {
                throw new IllegalStateException("migration " + file + " has no statements");
            }
            migrations.add(new Migration(version, name.group(2), file, statements));
        }
        return migrations;
    }

    /** Database names go into DDL unquoted: allow plain identifiers only. */
    public static void validateDatabase(String database) {
        Objects.requireNonNull(database, "database");
        if (!DATABASE.matcher(database).matches()) {
            throw new IllegalArgumentException("ClickHouse database name '" + database
                    + "' must start with a letter or '_' and contain only letters, digits and '_'");
        }
    }

    static String substitute(String sql, String database, String file) {
        String result = sql.replace(DB_PLACEHOLDER, database);
        int unknown = result.indexOf("${");
        if (unknown >= 0) {
            int end = result.indexOf('}', unknown);
            throw new IllegalStateException("migration " + file + " uses unknown placeholder "
                    + result.substring(unknown, end < 0 ? Math.min(result.length(), unknown + 20) : end + 1)
                    + "; only " + DB_PLACEHOLDER + " is supported");
        }
        return result;
    }

    /**
     * Splits a script at the {@code ;} that end statements, ignoring those inside quotes ({@code ' " `})
     * and comments ({@code --} to end of line, {@code /* ... * /}); comments are dropped, blank chunks
     * skipped, and a last statement without {@code ;} kept.
     */
    static List<String> splitStatements(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int i = 0;
        while (i < script.length()) {
            char c = script.charAt(i);
            if (c == '-' && i + 1 < script.length() && script.charAt(i + 1) == '-') {
                int end = script.indexOf('\n', i);
                i = end < 0 ? script.length() : end;
            } else if (c == '/' && i + 1 < script.length() && script.charAt(i + 1) == '*') {
                int end = script.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new IllegalStateException("unterminated /* comment in migration script");
                }
                current.append(' ');
                i = end + 2;
            } else if (c == '\'' || c == '"' || c == '`') {
                int end = closingQuote(script, i);
                current.append(script, i, end + 1);
                i = end + 1;
            } else if (c == ';') {
                addStatement(statements, current);
                i++;
            } else {
                current.append(c);
                i++;
            }
        }
        addStatement(statements, current);
        return statements;
    }

    private static int closingQuote(String script, int open) {
        char quote = script.charAt(open);
        for (int i = open + 1; i < script.length(); i++) {
            char c = script.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == quote) {
                return i;
            }
        }
        throw new IllegalStateException("unterminated " + quote + " quote in migration script");
    }

    private static void addStatement(List<String> statements, StringBuilder current) {
        String statement = current.toString().strip();
        if (!statement.isEmpty()) {
            statements.add(statement);
        }
        current.setLength(0);
    }

    private static Set<Integer> appliedVersions(ClickHouseHttp clickHouse, String database) {
        // system.tables exists on every version; EXISTS TABLE's output format has changed over time.
        List<List<String>> exists = clickHouse.query("SELECT count() FROM system.tables WHERE database = "
                + ClickHouseTsv.quote(database) + " AND name = 'schema_migrations'");
        Set<Integer> versions = new HashSet<>();
        if (exists.isEmpty() || exists.get(0).get(0).equals("0")) {
            return versions;
        }
        for (List<String> row : clickHouse.query("SELECT DISTINCT version FROM " + database + ".schema_migrations")) {
            versions.add(Integer.parseInt(row.get(0)));
        }
        return versions;
    }

    private static String readResource(String path) {
        try (InputStream in = ClickHouseMigrations.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("resource " + path + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + path, e);
        }
    }
}
