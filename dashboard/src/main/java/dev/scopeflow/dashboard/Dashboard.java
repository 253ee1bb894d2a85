package dev.scopeflow.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.scopeflow.schemas.clickhouse.ClickHouseException;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.results.ResultsReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
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
 * try (Dashboard dashboard = Dashboard.start("http://127.0.0.1:8123", "scopeflow", 8080)) {
 *     System.out.println("http://127.0.0.1:" + dashboard.port() + "/");
 * }
 * }</pre>
 *
 * Pages: {@code /} runs, {@code /run?id=} a run's SAE evaluations, {@code /sae?run=&sae=&sort=density|max&page=}
 * an SAE's features, {@code /feature?run=&sae=&f=} one feature. Bad parameters answer 400, unknown ids 404, a
 * ClickHouse failure 503 with its message; no page ever shows a stack trace.
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
    public static Dashboard start(String clickHouseUrl, String database, int port) {
        return start(clickHouseUrl, database, port, null);
    }

    /**
     * Starts the dashboard; {@code tokenDecoder} turns token ids into text for example contexts ({@code null}:
     * show ids). It is called from several request threads, so it must be thread-safe.
     */
    public static Dashboard start(String clickHouseUrl, String database, int port, IntFunction<String> tokenDecoder) {
        Objects.requireNonNull(database, "database");
        if (!database.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("database '" + database + "' must be a plain identifier");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        // Short timeouts: a page should answer 503 quickly when ClickHouse is gone, not hang for minutes.
        ClickHouseHttp clickHouse = ClickHouseHttp.builder(clickHouseUrl)
                .optConnectTimeout(Duration.ofSeconds(5))
                .optRequestTimeout(Duration.ofSeconds(60))
                .build();
        Pages pages = new Pages(new ResultsReader(clickHouse, database), tokenDecoder);
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
        server.createContext("/", exchange -> serve(exchange, params -> pages.runs()));
        server.createContext("/run", exchange -> serve(exchange, pages::run));
        server.createContext("/sae", exchange -> serve(exchange, pages::sae));
        server.createContext("/feature", exchange -> serve(exchange, pages::feature));
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

    private static void serve(HttpExchange exchange, Function<Params, String> page) throws IOException {
        int status;
        String html;
        try {
            if (!exchange.getRequestMethod().equals("GET")
                    && !exchange.getRequestMethod().equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                status = 405;
                html = Pages.error(405, "only GET is supported");
            } else if (!exchange.getRequestURI()
                    .getPath()
                    .equals(exchange.getHttpContext().getPath())) {
                // Contexts match by prefix; only the exact paths are pages.
                throw HttpError.notFound(
                        "no page " + exchange.getRequestURI().getPath() + " (pages: /, /run, /sae, /feature)");
            } else {
                html = page.apply(Params.of(exchange.getRequestURI()));
                status = 200;
            }
        } catch (HttpError e) {
            status = e.status();
            html = Pages.error(status, e.getMessage());
        } catch (ClickHouseException e) {
            status = 503;
            // A fresh server has no ScopeFlow tables until a job applies the migrations: say so up front.
            String hint = e.serverMessage() != null && e.serverMessage().contains("doesn't exist")
                    ? " (no ScopeFlow results in this database yet: run a job first, or check --database)"
                    : "";
            html = Pages.error(503, "ClickHouse is unavailable or failed" + hint + ": " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "dashboard page " + exchange.getRequestURI() + " failed", e);
            status = 500;
            html = Pages.error(500, "internal error: " + e);
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
