package dev.scopeflow.schemas.clickhouse;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A ClickHouse user and its password, for HTTP basic authentication. It travels with the Flink job graph
 * (sinks connect from task managers), hence {@link Serializable}; {@link #toString} never shows the password,
 * so a login can be logged or put in a message as it is.
 */
public record ClickHouseLogin(String user, String password) implements Serializable {

    /** The environment variable holding the password of {@code --clickhouse-user}. */
    public static final String PASSWORD_ENV = "SCOPEFLOW_CLICKHOUSE_PASSWORD";

    public ClickHouseLogin {
        Objects.requireNonNull(user, "ClickHouse user");
        Objects.requireNonNull(password, "ClickHouse password");
        if (user.isEmpty() || user.contains(":")) {
            throw new IllegalArgumentException("ClickHouse user '" + user + "' must be non-empty, without ':'");
        }
    }

    /**
     * The login given on a command line: {@code user} ({@code --clickhouse-user}; null: the server's
     * {@code default} user, and null is returned) with its password read from {@code passwordFile} (its first
     * line) if given, else from {@link #PASSWORD_ENV} in {@code env}. Passwords are never command-line values:
     * those show up in {@code ps} and shell history.
     */
    public static ClickHouseLogin fromOptions(String user, Path passwordFile, Map<String, String> env) {
        if (user == null) {
            if (passwordFile != null) {
                throw new IllegalArgumentException("--clickhouse-password-file needs --clickhouse-user");
            }
            return null;
        }
        if (passwordFile != null) {
            try {
                List<String> lines = Files.readAllLines(passwordFile, StandardCharsets.UTF_8);
                return new ClickHouseLogin(
                        user, lines.isEmpty() ? "" : lines.get(0).strip());
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "Could not read the ClickHouse password file " + passwordFile + ": " + e.getMessage(), e);
            }
        }
        String password = env.get(PASSWORD_ENV);
        if (password == null) {
            throw new IllegalArgumentException("--clickhouse-user " + user + " needs its password: set " + PASSWORD_ENV
                    + " (empty for none) or pass --clickhouse-password-file");
        }
        return new ClickHouseLogin(user, password);
    }

    @Override
    public String toString() {
        return "ClickHouseLogin{user=" + user + ", password=" + (password.isEmpty() ? "(none)" : "***") + "}";
    }
}
