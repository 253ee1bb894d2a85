package dev.scopeflow.schemas.clickhouse;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A small client for ClickHouse's HTTP interface (port 8123) built on {@link HttpClient} alone, so it works
 * against 18.16 as well as current servers: plain TabSeparated text, no compression (18.16 answers
 * {@code compress=1} with empty bodies), {@code wait_end_of_query=1} so that an error raised mid-query is
 * still reported as a non-200 status instead of a truncated 200 body.
 *
 * <p>Thread-safe and cheap to share; every call is one HTTP request. Every failure throws
 * {@link ClickHouseException}.
 */
public final class ClickHouseHttp {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofMinutes(5);

    /** {@code table} or {@code database.table}; columns are plain identifiers. */
    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

    private static final Pattern COLUMN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** Types whose TSV text is a quoted literal, not an escaped string: returned as ClickHouse wrote them. */
    private static final List<String> LITERAL_TYPES = List.of("Array(", "Tuple(", "Nested(", "Map(");

    private final URI baseUri;
    private final String authorization;
    private final Duration requestTimeout;
    private final HttpClient http;

    /** A client for {@code baseUrl} (e.g. {@code http://127.0.0.1:8123}) as user {@code default}. */
    public ClickHouseHttp(String baseUrl) {
        this(builder(baseUrl));
    }

    private ClickHouseHttp(Builder builder) {
        this.baseUri = builder.baseUri;
        this.authorization = builder.user == null
                ? null
                : "Basic "
                        + Base64.getEncoder()
                                .encodeToString(
                                        (builder.user + ":" + builder.password).getBytes(StandardCharsets.UTF_8));
        this.requestTimeout = builder.requestTimeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1) // ClickHouse speaks HTTP/1.1 only; skip the h2c upgrade
                .connectTimeout(builder.connectTimeout)
                .build();
    }

    public static Builder builder(String baseUrl) {
        return new Builder(baseUrl);
    }

    /** A client for {@code baseUrl} as {@code login}, or as the server's {@code default} user when it is null. */
    public static ClickHouseHttp of(String baseUrl, ClickHouseLogin login) {
        Builder builder = builder(baseUrl);
        return (login == null ? builder : builder.optLogin(login)).build();
    }

    public String baseUrl() {
        return baseUri.toString();
    }

    /** Runs a statement that returns no rows (DDL, INSERT ... SELECT, OPTIMIZE). */
    public void execute(String sql) {
        post("wait_end_of_query=1", text(sql), sql);
    }

    /**
     * Runs a query (without a FORMAT clause) and returns its rows as text: strings unescaped, {@code NULL}
     * as {@code null}, Array/Tuple columns as the literal ClickHouse writes ({@code ['a','b']}; split them
     * with {@link ClickHouseTsv#parseArray}), numbers and dates as ClickHouse formats them.
     */
    public List<List<String>> query(String sql) {
        return queryTable(sql).rows();
    }

    /** {@link #query}, with the result's column names and ClickHouse types (empty when the server sent nothing). */
    public QueryResult queryTable(String sql) {
        String body = post("default_format=TabSeparatedWithNamesAndTypes&wait_end_of_query=1", text(sql), sql);
        if (body.isEmpty()) {
            return new QueryResult(List.of(), List.of(), List.of());
        }
        String[] lines = body.split("\n", -1);
        if (lines.length < 2) {
            throw new ClickHouseException(200, "expected a names and a types line, got: " + body, sql, null);
        }
        List<String> names = Arrays.stream(lines[0].split("\t", -1))
                .map(ClickHouseTsv::unescape)
                .toList();
        List<String> types = Arrays.stream(lines[1].split("\t", -1))
                .map(ClickHouseTsv::unescape)
                .toList();
        boolean[] literal = new boolean[types.size()];
        for (int c = 0; c < types.size(); c++) {
            String type = types.get(c);
            literal[c] = LITERAL_TYPES.stream().anyMatch(type::startsWith);
        }
        List<List<String>> rows = new ArrayList<>(Math.max(0, lines.length - 3));
        for (int i = 2; i < lines.length; i++) {
            if (i == lines.length - 1 && lines[i].isEmpty()) {
                break; // the final newline
            }
            String[] fields = lines[i].split("\t", -1);
            if (fields.length != types.size()) {
                throw new ClickHouseException(
                        200,
                        "row " + (i - 1) + " has " + fields.length + " fields, expected " + types.size(),
                        sql,
                        null);
            }
            List<String> row = new ArrayList<>(fields.length);
            for (int c = 0; c < fields.length; c++) {
                row.add(
                        fields[c].equals(ClickHouseTsv.NULL)
                                ? null
                                : literal[c] ? fields[c] : ClickHouseTsv.unescape(fields[c]));
            }
            rows.add(row);
        }
        return new QueryResult(names, types, rows);
    }

    /**
     * Inserts rows with {@code INSERT INTO table (columns) FORMAT TabSeparated}; values are formatted by
     * {@link ClickHouseTsv#format}. Returns once the server has written them.
     */
    public void insert(String table, List<String> columns, List<List<Object>> rows) {
        Objects.requireNonNull(rows, "rows");
        String statement = insertStatement(table, columns, "TabSeparated");
        if (rows.isEmpty()) {
            return;
        }
        StringBuilder data = new StringBuilder(rows.size() * 64);
        for (int r = 0; r < rows.size(); r++) {
            List<Object> row = rows.get(r);
            if (row == null || row.size() != columns.size()) {
                throw new IllegalArgumentException("row " + r + " for " + table + " has "
                        + (row == null ? "no" : row.size()) + " values, expected " + columns.size() + " " + columns);
            }
            for (int c = 0; c < row.size(); c++) {
                if (c > 0) {
                    data.append('\t');
                }
                data.append(ClickHouseTsv.format(row.get(c)));
            }
            data.append('\n');
        }
        post(
                "query=" + URLEncoder.encode(statement, StandardCharsets.UTF_8),
                HttpRequest.BodyPublishers.ofString(data.toString(), StandardCharsets.UTF_8),
                statement);
    }

    /**
     * Inserts rows already encoded in ClickHouse's RowBinary format ({@link RowBinaryWriter}), in the order of
     * {@code columns}. Binary floats arrive bit-exact, which text does not guarantee on every server version.
     */
    public void insertRowBinary(String table, List<String> columns, RowBinaryWriter rows) {
        Objects.requireNonNull(rows, "rows");
        String statement = insertStatement(table, columns, "RowBinary");
        if (rows.size() == 0) {
            return;
        }
        post(
                "query=" + URLEncoder.encode(statement, StandardCharsets.UTF_8),
                HttpRequest.BodyPublishers.ofByteArray(rows.toByteArray()),
                statement);
    }

    private static String insertStatement(String table, List<String> columns, String format) {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(columns, "columns");
        if (!TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException(
                    "table name '" + table + "' must be table or database.table " + "made of letters, digits and '_'");
        }
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("insert into " + table + " needs at least one column");
        }
        for (String column : columns) {
            if (column == null || !COLUMN.matcher(column).matches()) {
                throw new IllegalArgumentException(
                        "column name '" + column + "' for " + table + " must be made of letters, digits and '_'");
            }
        }
        return "INSERT INTO " + table + " (" + String.join(", ", columns) + ") FORMAT " + format;
    }

    /** True when {@code GET /ping} answers {@code Ok.}; never throws. */
    public boolean ping() {
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(baseUri.resolve("/ping"))
                            .timeout(requestTimeout)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return response.statusCode() == 200 && response.body().strip().equals("Ok.");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static HttpRequest.BodyPublisher text(String body) {
        return HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8);
    }

    private String post(String queryString, HttpRequest.BodyPublisher body, String sqlForErrors) {
        HttpRequest.Builder request = HttpRequest.newBuilder(baseUri.resolve("/?" + queryString))
                .timeout(requestTimeout)
                .header("Content-Type", "text/plain; charset=UTF-8")
                .POST(body);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ClickHouseException(
                    0,
                    e.getClass().getSimpleName() + " talking to " + baseUri + ": " + e.getMessage(),
                    sqlForErrors,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClickHouseException(0, "interrupted while waiting for " + baseUri, sqlForErrors, e);
        }
        if (response.statusCode() != 200) {
            throw new ClickHouseException(response.statusCode(), response.body(), sqlForErrors, null);
        }
        return response.body();
    }

    @Override
    public String toString() {
        return "ClickHouseHttp{" + baseUri + (authorization == null ? "" : ", authenticated") + "}";
    }

    /** Options for {@link ClickHouseHttp}: {@code baseUrl} required, the rest optional. */
    public static final class Builder {
        private final URI baseUri;
        private String user;
        private String password;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;

        private Builder(String baseUrl) {
            Objects.requireNonNull(baseUrl, "baseUrl");
            URI uri;
            try {
                uri = URI.create(baseUrl.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "ClickHouse base URL '" + baseUrl + "' must look like http://host:8123 (" + e.getMessage()
                                + ")",
                        e);
            }
            if (!Arrays.asList("http", "https").contains(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException(
                        "ClickHouse base URL '" + baseUrl + "' must look like http://host:8123");
            }
            if (uri.getRawQuery() != null
                    || (uri.getRawPath() != null
                            && !uri.getRawPath().isEmpty()
                            && !uri.getRawPath().equals("/"))) {
                throw new IllegalArgumentException("ClickHouse base URL '" + baseUrl
                        + "' must not have a path or query; give only scheme, host and port");
            }
            this.baseUri = URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
        }

        /** HTTP basic credentials (without them the server uses its {@code default} user). */
        public Builder optCredentials(String user, String password) {
            this.user = Objects.requireNonNull(user, "user");
            if (user.isEmpty() || user.contains(":")) {
                throw new IllegalArgumentException("ClickHouse user '" + user + "' must be non-empty, without ':'");
            }
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** {@link #optCredentials} from a {@link ClickHouseLogin}. */
        public Builder optLogin(ClickHouseLogin login) {
            return optCredentials(login.user(), login.password());
        }

        public Builder optConnectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connect timeout");
            return this;
        }

        /** Limit for one whole request, answer included; large inserts and merges need more than pings. */
        public Builder optRequestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "request timeout");
            return this;
        }

        public ClickHouseHttp build() {
            return new ClickHouseHttp(this);
        }

        private static Duration positive(Duration timeout, String what) {
            Objects.requireNonNull(timeout, what);
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException(what + " must be > 0, got " + timeout);
            }
            return timeout;
        }
    }
}
