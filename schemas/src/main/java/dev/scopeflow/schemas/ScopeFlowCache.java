package dev.scopeflow.schemas;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where ScopeFlow keeps what it fetches once per user and reuses across work dirs and checkouts (local-cluster's
 * ClickHouse server, producers' Gemma 2 tokenizer): {@code $SCOPEFLOW_CACHE/<name>}, else
 * {@code ~/.cache/scopeflow/<name>}.
 */
public final class ScopeFlowCache {

    /** The environment variable that moves the cache root. */
    public static final String ENV = "SCOPEFLOW_CACHE";

    private ScopeFlowCache() {}

    /** {@code name}'s directory for this process's environment and user. */
    public static Path dir(String name) {
        return dir(name, System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** {@code name}'s directory under {@code $SCOPEFLOW_CACHE} in {@code env}, else under {@code home}'s cache. */
    public static Path dir(String name, Map<String, String> env, Path home) {
        String root = env.get(ENV);
        Path base = root == null || root.isBlank() ? home.resolve(".cache").resolve("scopeflow") : Path.of(root);
        return base.resolve(name).toAbsolutePath().normalize();
    }
}
