package brmr.admin.metrics;

import brmr.admin.daemon.Daemon;
import brmr.admin.daemon.DaemonOptions;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.tinylog.Logger;

/** {@code --metrics HOST:PORT}: serves the daemon's metrics at {@code /metrics} over HTTP, for Prometheus to scrape. */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** The option both daemons take. */
    public static final DaemonOptions.Option OPTION = new DaemonOptions.Option("metrics", "HOST:PORT",
            "serve Prometheus metrics at http://HOST:PORT/metrics (default: none; port 0 picks one)");

    /**
     * {@code --metrics}, if given: serves {@code exposition} until the daemon stops. Returns what the ready line
     * adds, {@code " metrics=HOST:PORT"} with the port bound, or nothing.
     */
    public static String startIfAsked(Optional<InetSocketAddress> address, Daemon daemon, Supplier<String> exposition)
            throws IOException {
        if (address.isEmpty()) {
            return "";
        }
        MetricsServer server = start(address.get(), exposition);
        daemon.closeOnStop(server);
        return " metrics=" + server.where();
    }

    /** Binds {@code address} (port 0 picks a free one) and serves {@code exposition} on every GET of /metrics. */
    public static MetricsServer start(InetSocketAddress address, Supplier<String> exposition) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new IOException("--metrics: cannot listen on " + address.getHostString() + ":" + address.getPort()
                    + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/metrics", exchange -> serve(exchange, exposition));
        server.start();
        MetricsServer started = new MetricsServer(server, executor);
        Logger.info("metrics served at http://{}/metrics", started.where());
        return started;
    }

    private static void serve(HttpExchange exchange, Supplier<String> exposition) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            if (!exchange.getRequestURI().getPath().equals("/metrics")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] body;
            try {
                body = exposition.get().getBytes(StandardCharsets.UTF_8);
            } catch (RuntimeException e) {
                Logger.error(e, "metrics: collecting failed");
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", Exposition.CONTENT_TYPE);
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The bound address, with the port picked if 0 was asked for. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** host:port as the ready line gives it. */
    public String where() {
        InetSocketAddress address = address();
        return address.getHostString() + ":" + address.getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
