package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --metrics 127.0.0.1:0} on every daemon of a two-leg pool: after IO through NBD the client's
 * per-leg and the nodes' per-pool counters moved by what was written and read, and promtool accepts
 * every daemon's exposition.
 */
class MetricsIT {
    private static final long MAPPED_SIZE = 20480;
    private static final int CHUNK = 131072;
    private static final long WRITTEN = 1024 * 1024;

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private String scrape(DaemonProcess daemon) throws Exception {
        InetSocketAddress at = daemon.address("metrics");
        assertTrue(at.getAddress().isLoopbackAddress() && at.getPort() > 0, at::toString);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + at.getPort()
                + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response::body);
        assertEquals("text/plain; version=0.0.4; charset=utf-8",
                response.headers().firstValue("Content-Type").orElse(""));
        return response.body();
    }

    /** The value of the one sample {@code series} (name and labels exactly as exposed). */
    private static double sample(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        assertTrue(m.find(), () -> "no sample " + series + " in:\n" + text);
        return Double.parseDouble(m.group(1));
    }

    private void promtoolAccepts(String name, String text) throws Exception {
        Path file = dir.resolve(name + ".prom");
        Files.writeString(file, text);
        CommandResult checked = Commands.run(List.of("sh", "-c", "promtool check metrics < " + file));
        assertEquals(0, checked.exit(), () -> "promtool check metrics on " + name + ": " + checked + "\n" + text);
        assertEquals("", checked.out() + checked.err(), () -> "promtool has remarks on " + name + ": " + checked);
    }

    @Test
    void ioThroughNbdMovesTheCountersOfEveryDaemonAndPromtoolAcceptsTheirOutput() throws Exception {
        Qemu.requireTools("qemu-io", "promtool");
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK)
                .serverOptions("--metrics", "127.0.0.1:0").clientOptions("--metrics", "127.0.0.1:0").start()) {
            String before = scrape(pool.client);
            assertEquals(0, sample(before, "brmr_client_io_bytes_total{pool=\"p1\",session=\"s1\",op=\"write\"}"));

            Qemu.io(pool.nbdUri(), "write -P 0x5a 0 " + WRITTEN, "flush", "read -P 0x5a 0 " + WRITTEN);

            String client = scrape(pool.client);
            long readOnLegs = 0;
            for (String session : List.of("s1", "s2")) {
                String leg = "pool=\"p1\",session=\"" + session + "\"";
                assertEquals(WRITTEN, sample(client, "brmr_client_io_bytes_total{" + leg + ",op=\"write\"}"), session);
                assertTrue(sample(client, "brmr_client_io_operations_total{" + leg + ",op=\"write\"}") > 0, session);
                assertTrue(sample(client, "brmr_client_io_operations_total{" + leg + ",op=\"flush\"}") > 0, session);
                assertEquals(0, sample(client, "brmr_client_io_errors_total{" + leg + ",op=\"write\"}"), session);
                assertEquals(sample(client, "brmr_client_io_operations_total{" + leg + ",op=\"write\"}"),
                        sample(client, "brmr_client_io_latency_seconds_count{" + leg + ",op=\"write\"}"), session);
                assertEquals(1, sample(client, "brmr_client_session_state{" + leg + ",state=\"normal\"}"), session);
                readOnLegs += (long) sample(client, "brmr_client_io_bytes_total{" + leg + ",op=\"read\"}");
            }
            assertEquals(WRITTEN, readOnLegs, "the reads were spread over the legs, each byte read once");
            promtoolAccepts("client", client);

            for (LocalPool.Node node : pool.nodes) {
                String server = scrape(node.daemon);
                assertEquals(WRITTEN, sample(server, "brmr_server_io_bytes_total{pool=\"p1\",op=\"write\"}"),
                        "node " + node.member);
                assertEquals(1, sample(server, "brmr_server_pool_state{pool=\"p1\",state=\"normal\"}"));
                assertEquals(1, sample(server, "brmr_server_store_state{pool=\"p1\",state=\"mapped\"}"));
                assertEquals(0, sample(server, "brmr_server_pool_dirty_chunks{pool=\"p1\",member=\"" + node.member
                        + "\"}"));
                assertEquals(node.member, sample(server, "brmr_server_pool_member_id{pool=\"p1\"}"));
                assertTrue(server.contains("brmr_server_io_latency_seconds_bucket{pool=\"p1\",op=\"write\",le=\"+Inf\"}"),
                        server);
                promtoolAccepts("node" + node.member, server);
            }
        }
    }

    @Test
    void theInitialSyncShowsInTheDirtyChunksAndTheSyncProgressOfTheNodeThatLacksThem() throws Exception {
        Qemu.requireTools("promtool");
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions().initialSync()
                .serverOptions("--metrics", "127.0.0.1:0").start()) {
            double chunks = pool.chunkCount();
            String lacking = scrape(pool.daemon(2));
            assertEquals(chunks, sample(lacking, "brmr_server_pool_dirty_chunks{pool=\"p1\",member=\"2\"}"));
            assertEquals(1, sample(lacking, "brmr_server_sync_state{pool=\"p1\",state=\"idle\"}"));
            assertEquals(chunks, sample(lacking, "brmr_server_sync_remaining_chunks{pool=\"p1\"}"));
            assertEquals(1, sample(lacking, "brmr_server_sync_session_state{pool=\"p1\",session=\""
                    + LocalPool.syncSession(2, 1) + "\",state=\"normal\"}"));

            Recovery.syncToTheEnd(pool, 2);
            String synced = scrape(pool.daemon(2));
            assertEquals(0, sample(synced, "brmr_server_pool_dirty_chunks{pool=\"p1\",member=\"2\"}"));
            assertEquals(1, sample(synced, "brmr_server_sync_state{pool=\"p1\",state=\"done\"}"));
            assertEquals(chunks, sample(synced, "brmr_server_sync_synced_chunks{pool=\"p1\"}"));
            assertEquals(0, sample(synced, "brmr_server_sync_remaining_chunks{pool=\"p1\"}"));
            assertEquals(1, sample(synced, "brmr_server_sync_progress_ratio{pool=\"p1\"}"));
            promtoolAccepts("node2-synced", synced);
        }
    }
}
