package brmr.it;

import static brmr.it.Expect.eventually;
import static brmr.it.Expect.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two storage nodes and a client, brought up as the runbook does, serving a replicated device over
 * NBD to qemu-io; then one node is killed during writes, restarted and re-added.
 */
class ReplicatedPoolIT {
    private static final long MAPPED_SIZE = 204800;
    private static final int CHUNK = 131072;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Qemu.requireTools("qemu-io");
    }

    @Test
    void writesReachBothLegsByteForByte() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK)) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x11 0 1M", "write -P 0x22 5M 3M", "write -P 0x33 99M 1M",
                    "write -P 0x44 20975616 4096", "write -z 40M 2M");
            Qemu.io(uri, "read -P 0x11 0 1M", "read -P 0x22 5M 3M", "read -P 0x33 99M 1M",
                    "read -P 0x44 20975616 4096", "read -P 0 40M 2M", "read -P 0 20971520 4096");
            for (int member = 1; member <= 2; member++) {
                assertEquals("normal", pool.read(member, "state"));
                assertEquals("open\nmapped", ok(pool.node(member).daemon.ctl("read",
                        "brmr-server/stores/p1/state")).strip());
            }
            assertEquals("ready", ok(pool.client.ctl("read", "brmr-client/ctl/devices/brmr0/state")).strip());
            assertEquals(String.valueOf(MAPPED_SIZE),
                    ok(pool.client.ctl("read", "brmr-client/ctl/devices/brmr0/block/size")).strip());
            assertTrue(uri.endsWith("/brmr0"), uri);
            Qemu.io(uri.replace("/brmr0", "/p1"), "read -P 0x11 0 1M", "write -P 0x55 2M 64k", "read -P 0x55 2M 64k");
            String uuid = ok(pool.node(1).daemon.ctl("read", "brmr-server/stores/p1/pool_uuid")).strip();
            assertEquals(uuid, ok(pool.node(2).daemon.ctl("read", "brmr-server/stores/p1/pool_uuid")).strip());
            assertFalse(uuid.equals("unset"));
            assertEquals(List.of(), pool.differingChunks(1, 2), "both legs' data areas are byte-identical");
            byte[] expected = new byte[CHUNK];
            java.util.Arrays.fill(expected, (byte) 0x11);
            assertArrayEquals(expected, pool.chunk(1, 3), "the data really is on the leg's disk");

            if (Commands.onPath("nbdcopy") && Commands.onPath("nbdinfo") && Commands.onPath("qemu-img")) {
                CommandResult info = Commands.run(List.of("nbdinfo", "--json", uri));
                assertEquals(0, info.exit(), info::toString);
                assertTrue(info.out().contains("\"export-size\": " + MAPPED_SIZE * 512), info.out());
                Path image = dir.resolve("random.img");
                byte[] random = new byte[(int) (MAPPED_SIZE * 512)];
                new java.util.Random(11).nextBytes(random);
                Files.write(image, random);
                CommandResult copy = Commands.run(List.of("nbdcopy", image.toString(), uri));
                assertEquals(0, copy.exit(), copy::toString);
                CommandResult compare = Commands.run(List.of("qemu-img", "compare", "-f", "raw", "-F", "raw",
                        image.toString(), uri));
                assertEquals(0, compare.exit(), compare::toString);
                assertEquals(List.of(), pool.differingChunks(1, 2));
                assertArrayEquals(java.util.Arrays.copyOfRange(random, 7 * CHUNK, 8 * CHUNK), pool.chunk(2, 7));
            } else {
                System.out.println("[brmr tests] skipping the nbdcopy/nbdinfo/qemu-img part: not installed");
            }
        }
    }

    @Test
    void killedLegMissesWritesThenComesBackAfterAMapUpdate() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK)) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x01 0 100M");
            assertEquals(List.of(), pool.differingChunks(1, 2));

            // a writer hammers chunks 0..99 while node 2 is killed under it
            List<String> writer = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
            for (int i = 0; i < 300; i++) {
                writer.add("-c");
                writer.add("write -P 0x5a " + (i * 37 % 200) * 65536L + " 64k");
            }
            writer.add(uri);
            Process process = new ProcessBuilder(writer).redirectErrorStream(true).start();
            StringBuilder output = new StringBuilder();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line = out.readLine();
                output.append(line).append('\n');
                assertTrue(line != null && line.startsWith("wrote"), "writer started: " + line);
                pool.node(2).daemon.kill();
                while ((line = out.readLine()) != null) {
                    output.append(line).append('\n');
                }
            }
            assertTrue(process.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, process.exitValue(), output::toString);
            assertFalse(output.toString().contains("failed"), output::toString);

            Set<Long> later = new TreeSet<>(List.of(400L, 401L, 402L, 450L, 600L, 799L));
            Qemu.io(uri, "write -P 0x6b " + 400L * CHUNK + " 384k", "write -P 0x6b " + 450L * CHUNK + " 128k",
                    "write -P 0x6b " + (600L * CHUNK + 4096) + " 4k", "write -P 0x6b " + 799L * CHUNK + " 128k");
            assertTrue(Set.of("failed", "reconnecting").contains(pool.sessionState(2)), pool.sessionState(2));

            TreeSet<Long> missed = MapSummaryText.parse(pool.read(1, "map_summary")).get(2);
            assertEquals(later, new TreeSet<>(missed.tailSet(100L)), "exactly the chunks written since the kill");
            assertTrue(missed.headSet(100L).size() > 0, "the writer's chunks after the kill are marked too");

            pool.restartAndReadd(2);
            eventually(Duration.ofSeconds(30), "session s2 back in service", () -> pool.sessionState(2),
                    "normal"::equals);
            assertEquals("normal", pool.read(2, "state"));
            List<String> log = Files.readAllLines(pool.node(2).stateDir.resolve("brmr-server.log"));
            int restart = lastIndexOf(log, "brmr-server starting");
            int joined = indexAfter(log, restart, "compute session s2 joined (ASSEMBLE), state NO_IO");
            int updated = indexAfter(log, joined, "map update applied");
            int enabled = indexAfter(log, updated, "enabled by s2, state NORMAL");
            assertTrue(restart < joined && joined < updated && updated < enabled, String.join("\n", log));
            assertEquals(pool.read(1, "map_summary"), pool.read(2, "map_summary"),
                    "both nodes know the same dirty set");

            for (int round = 0; round < 4; round++) {
                Qemu.io(uri, "read -P 0x6b " + 400L * CHUNK + " 384k", "read -P 0x6b " + 450L * CHUNK + " 128k",
                        "read -P 0x6b " + (600L * CHUNK + 4096) + " 4k", "read -P 0x01 " + 600L * CHUNK + " 4k",
                        "read -P 0x6b " + 799L * CHUNK + " 128k");
            }
            Qemu.io(uri, "write -P 0x7c " + 700L * CHUNK + " 128k");
            assertArrayEquals(pool.chunk(1, 700), pool.chunk(2, 700), "a write after the rejoin reaches both legs");
            assertTrue(missed.containsAll(pool.differingChunks(1, 2)), "the legs differ only where node 2 is dirty");
        }
    }

    @Test
    void aLegInMaintenanceMissesWritesAndComesBackThroughAMapUpdate() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK, true)) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x41 0 1M");
            String s2 = "/sys/class/rmr-client/pools/p1/sessions/s2/";
            ok(pool.client.ctl("write", s2 + "enable", "0"));
            assertEquals("maintenance\nMaintenance mode: 1\n", ok(pool.client.ctl("read", s2 + "state")));
            Qemu.io(uri, "write -P 0x42 " + 20L * CHUNK + " 256k", "read -P 0x42 " + 20L * CHUNK + " 256k");
            assertTrue(MapSummaryText.parse(pool.read(1, "map_summary")).get(2).containsAll(List.of(20L, 21L)),
                    "node 1 recorded what member 2 missed: " + pool.read(1, "map_summary"));
            assertEquals("maintenance", pool.sessionState(2).lines().findFirst().orElseThrow(),
                    "a leg in maintenance does not come back by itself");

            ok(pool.client.ctl("write", s2 + "enable", "1"));
            assertEquals("normal", pool.sessionState(2));
            assertEquals(pool.read(1, "map_summary"), pool.read(2, "map_summary"), "node 2 took the map update");
            for (int round = 0; round < 4; round++) {
                Qemu.io(uri, "read -P 0x42 " + 20L * CHUNK + " 256k", "read -P 0x41 0 1M");
            }
            Recovery.syncVerifyCompare(pool, 2);
        }
    }

    @Test
    void whatASurvivorKnowsOfAMissingLegSurvivesTheSurvivorsCrash() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK)) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x31 0 100M");
            for (int member = 1; member <= 2; member++) {
                int m = member;
                eventually(Duration.ofSeconds(30), "the client told node " + m + " its writes are on every leg",
                        () -> String.valueOf(Recovery.activeChunks(pool, m)), "0"::equals);
            }
            pool.node(2).daemon.kill();
            Qemu.io(uri, "write -P 0x32 " + 10L * CHUNK + " 256k", "write -P 0x32 " + 500L * CHUNK + " 4k");
            String missed = "member 1: [] 0/800 dirty\nmember 2: [10 11 500] 3/800 dirty";
            assertEquals(missed, pool.read(1, "map_summary"));

            pool.node(1).daemon.kill();
            pool.restartAndReadd(1);
            assertEquals(missed, pool.read(1, "map_summary"), "the map of member 2 was persisted on node 1's disk");
            pool.restartAndReadd(2);
            eventually(Duration.ofSeconds(30), "both sessions back in service",
                    () -> pool.sessionState(1) + " " + pool.sessionState(2), "normal normal"::equals);
            assertEquals(missed, pool.read(2, "map_summary"), "the reassembled pool agrees on what node 2 lacks");
            for (int round = 0; round < 4; round++) {
                Qemu.io(uri, "read -P 0x32 " + 10L * CHUNK + " 256k", "read -P 0x32 " + 500L * CHUNK + " 4k",
                        "read -P 0x31 " + 12L * CHUNK + " 128k");
            }
        }
    }

    @Test
    void aPeerThatBreaksTheProtocolIsRefusedAndTheNodeKeepsServing() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK)) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x21 0 1M");
            byte[] otherVersion = java.nio.ByteBuffer.allocate(20).putInt(0x524D5231).put((byte) 5).put((byte) 1)
                    .putShort((short) 0).putLong(1).putInt(0).array();
            byte[] garbage = "GET / HTTP/1.1\r\nHost: brmr\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            for (byte[] bytes : List.of(otherVersion, garbage)) {
                try (java.net.Socket socket = new java.net.Socket("127.0.0.1", pool.node(1).port)) {
                    socket.setSoTimeout(30_000);
                    socket.getOutputStream().write(bytes);
                    socket.getOutputStream().flush();
                    byte[] reply = socket.getInputStream().readAllBytes();
                    assertTrue(reply.length >= 20 && reply[5] == (byte) 0x81, "a PROTOCOL failure, then close");
                }
            }
            List<String> log = Files.readAllLines(pool.node(1).stateDir.resolve("brmr-server.log"));
            assertTrue(log.stream().anyMatch(l -> l.contains("broke the RMR protocol")
                    && l.contains("protocol version 5, this node speaks 4")), String.join("\n", log));
            assertTrue(log.stream().filter(l -> l.contains("broke the RMR protocol")).count() >= 2);
            Qemu.io(uri, "read -P 0x21 0 1M", "write -P 0x22 1M 1M", "read -P 0x22 1M 1M");
            assertEquals("normal", pool.sessionState(1));
            assertEquals(List.of(), pool.differingChunks(1, 2));
        }
    }

    private static int lastIndexOf(List<String> log, String text) {
        for (int i = log.size() - 1; i >= 0; i--) {
            if (log.get(i).contains(text)) {
                return i;
            }
        }
        throw new AssertionError("'" + text + "' not in the log");
    }

    private static int indexAfter(List<String> log, int from, String text) {
        for (int i = from + 1; i < log.size(); i++) {
            if (log.get(i).contains(text)) {
                return i;
            }
        }
        throw new AssertionError("'" + text + "' not in the log after line " + from + ":\n" + String.join("\n", log));
    }
}
