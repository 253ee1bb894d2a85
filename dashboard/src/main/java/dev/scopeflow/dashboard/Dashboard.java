package dev.scopeflow.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.scopeflow.schemas.clickhouse.ClickHouseException;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import dev.scopeflow.schemas.results.ResultsReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The SAE evaluation dashboard: server-rendered HTML over the results in ClickHouse, served by the JDK's
 * {@link HttpServer} on 127.0.0.1 (it has no authentication, so it is not exposed beyond the machine).
 *
 * <pre>{@code
 * try (Dashboard dashboard = Dashboard.start("http://127.0.0.1:8123", readOnlyLogin, "scopeflow", 8080)) {
 *     System.out.println("http://127.0.0.1:" + dashboard.port() + "/");
 * }
 * }</pre>
 *
 * Pages: {@code /} runs, {@code /run?id=} a run's SAE evaluations, {@code /sae?run=&sae=&sort=density|max&page=}
 * an SAE's features, {@code /feature?run=&sae=&f=} one feature (with its top windows shaded by its stored
 * activations, its top tokens and co-occurring features), {@code /doc?run=&sae=&doc=&position=} a document's tokens
 * shaded by their strongest stored feature, and the features stored at the token at {@code position}. Bad parameters ({@link Params}) answer 400,
 * unknown ids 404, a ClickHouse failure 503 without its details (they hold SQL: they go to the log); no page
 * ever shows a stack trace. A request whose {@code Host} is not this loopback address and port answers 421, so
 * a web page cannot reach the dashboard through a DNS name rebound to 127.0.0.1. Give it a read-only ClickHouse
 * user: pages only read.
 */
public final class Dashboard implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Dashboard.class.getName());
    private static final int HANDLER_THREADS = 4;

    private final HttpServer server;
    private final ExecutorService handlers;

    private Dashboard(HttpServer server, ExecutorService handlers) {
        this.server = server;
        this.handlers = handlers;
    }

    /** Starts the dashboard showing token ids; {@code port} 0 picks a free port. */
    public static Dashboard start(String clickHouseUrl, ClickHouseLogin login, String database, int port) {
        return start(clickHouseUrl, login, database, port, null);
    }

    /**
     * Starts the dashboard; {@code tokenDecoder} turns token ids into text for example contexts ({@code null}:
     * show ids). It is called from several request threads, so it must be thread-safe. {@code login} null: the
     * server's default user.
     */
    public static Dashboard start(
            String clickHouseUrl, ClickHouseLogin login, String database, int port, IntFunction<String> tokenDecoder) {
        Objects.requireNonNull(database, "database");
        if (!database.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("database '" + database + "' must be a plain identifier");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        // Short timeouts: a page should answer 503 quickly when ClickHouse is gone, not hang for minutes.
        ClickHouseHttp.Builder builder = ClickHouseHttp.builder(clickHouseUrl)
                .optConnectTimeout(Duration.ofSeconds(5))
                .optRequestTimeout(Duration.ofSeconds(60));
        ClickHouseHttp clickHouse = (login == null ? builder : builder.optLogin(login)).build();
        Pages pages = new Pages(
                new ResultsReader(clickHouse, database), new ActivationStore(clickHouse, database), tokenDecoder);
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot listen on 127.0.0.1:" + port + " (" + e.getMessage() + "); choose another port", e);
        }
        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService handlers = Executors.newFixedThreadPool(HANDLER_THREADS, r -> {
            Thread thread = new Thread(r, "scopeflow-dashboard-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(handlers);
        Set<String> hosts = allowedHosts(server.getAddress().getPort());
        server.createContext("/", exchange -> serve(exchange, hosts, params -> pages.runs()));
        server.createContext("/run", exchange -> serve(exchange, hosts, pages::run));
        server.createContext("/sae", exchange -> serve(exchange, hosts, pages::sae));
        server.createContext("/feature", exchange -> serve(exchange, hosts, pages::feature));
        server.createContext("/doc", exchange -> serve(exchange, hosts, pages::doc));
        server.start();
        return new Dashboard(server, handlers);
    }

    /** The port the dashboard listens on (the chosen one when started with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:<port>/}. */
    public String url() {
        return "http://127.0.0.1:" + port() + "/";
    }

    /** Stops accepting requests, lets running ones finish for up to a second, and ends the handler threads. */
    @Override
    public void close() {
        server.stop(1);
        handlers.shutdown();
        try {
            if (!handlers.awaitTermination(5, TimeUnit.SECONDS)) {
                handlers.shutdownNow();
            }
        } catch (InterruptedException e) {
            handlers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** The {@code Host} values a browser sends for this server: its loopback addresses and port, nothing else. */
    static Set<String> allowedHosts(int port) {
        return Set.of("127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port);
    }

    private static void serve(HttpExchange exchange, Set<String> hosts, Function<Params, String> page)
            throws IOException {
        int status;
        String html;
        try {
            String host = exchange.getRequestHeaders().getFirst("Host");
            if (host == null || !hosts.contains(host.toLowerCase(Locale.ROOT))) {
                // DNS rebinding: evil.example resolved to 127.0.0.1 still sends Host: evil.example.
                status = 421;
                html = Pages.error(
                        421,
                        "this dashboard answers only to http://127.0.0.1:"
                                + exchange.getLocalAddress().getPort() + "/ (or localhost)");
            } else if (!exchange.getRequestMethod().equals("GET")
                    && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                status = 405;
                html = Pages.error(405, "only GET is supported");
            } else if (!exchange.getRequestURI()
                    .getPath()
                    .equals(exchange.getHttpContext().getPath())) {
                // Contexts match by prefix; only the exact paths are pages.
                throw HttpError.notFound(
                        "no page " + exchange.getRequestURI().getPath() + " (pages: /, /run, /sae, /feature, /doc)");
            } else {
                html = page.apply(Params.of(exchange.getRequestURI()));
                status = 200;
            }
        } catch (HttpError e) {
            status = e.status();
            html = Pages.error(status, e.getMessage());
        } catch (ClickHouseException e) {
            // The details (SQL, the server's message quoting it) go to the log only, never into a page.
            LOG.log(
                    System.Logger.Level.WARNING,
                    "dashboard page " + exchange.getRequestURI().getPath() + ": " + e);
            status = 503;
            // A fresh server has no ScopeFlow tables until a job applies the migrations: say so up front.
            String hint = e.serverMessage() != null && e.serverMessage().contains("doesn't exist")
                    ? " (no ScopeFlow results in this database yet: run a job first, or check --database)"
                    : "";
            html = Pages.error(
                    503,
                    "ClickHouse is unavailable or failed" + hint
                            + (e.httpStatus() == 0 ? "" : " (HTTP " + e.httpStatus() + ")")
                            + "; the dashboard's log has the details");
        } catch (RuntimeException e) {
            LOG.log(
                    System.Logger.Level.ERROR,
                    "dashboard page " + exchange.getRequestURI().getPath() + " failed",
                    e);
            status = 500;
            html = Pages.error(500, "internal error; the dashboard's log has the details");
        }
        byte[] bytes = html.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        exchange.getResponseHeaders().set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }
}
