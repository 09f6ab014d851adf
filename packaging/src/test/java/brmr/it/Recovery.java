package brmr.it;

import static brmr.it.Expect.eventually;
import static brmr.it.Expect.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The operator's last steps after a failed leg is back in service (sync it, run an online verify)
 * and the proof that the legs agree: verify finds no differing chunk and the data areas are
 * byte-identical.
 */
final class Recovery {
    static final Set<String> OUT_OF_SERVICE = Set.of("failed", "reconnecting");

    private Recovery() {
    }

    /** Waits until the client's session to {@code member} is in one of {@code states}; returns how long that took. */
    static Duration awaitSession(LocalPool pool, int member, Set<String> states, Duration limit) {
        long start = System.nanoTime();
        eventually(limit, "session s" + member + " in " + states, () -> pool.sessionState(member), states::contains);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Syncs what {@code member} lacks, verifies it against its peers and compares the legs byte for byte. */
    static void syncVerifyCompare(LocalPool pool, int member) throws IOException {
        syncToTheEnd(pool, member);
        verifyFindsNoDifference(pool, member);
        legsIdentical(pool);
    }

    static void syncToTheEnd(LocalPool pool, int member) {
        DaemonProcess node = pool.daemon(member);
        ok(node.ctl("write", "rmr-server/pools/" + pool.pool + "/sync", "start"));
        CommandResult waited = node.ctl("sync", pool.pool, "--wait");
        assertEquals(0, waited.exit(), () -> "sync " + pool.pool + " --wait on node " + member + ": " + waited);
        assertTrue(waited.out().contains(" done "), waited::toString);
    }

    /** Online verify on {@code member}: every chunk compared with the peers, none differs. */
    static void verifyFindsNoDifference(LocalPool pool, int member) throws IOException {
        DaemonProcess node = pool.daemon(member);
        long start = System.nanoTime();
        ok(node.ctl("write", "rmr-server/pools/" + pool.pool + "/verify", "start"));
        CommandResult waited = node.ctl("verify", pool.pool, "--wait");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        List<String> lines = waited.out().strip().lines().toList();
        assertEquals(0, waited.exit(), () -> "verify " + pool.pool + " --wait on node " + member + ": " + waited);
        String last = lines.isEmpty() ? "" : lines.getLast();
        String compared = pool.chunkCount() + " chunks compared, 0 differ: []";
        assertTrue(last.contains(" done ") && last.contains(compared), () -> "the last line says done, " + compared
                + ": " + waited);
        assertEquals("done: " + compared, ok(node.ctl("read", "rmr-server/pools/" + pool.pool + "/verify")).strip());
        Map<String, Object> progress = JSON.std.mapFrom(ok(node.ctl("read", "rmr-server/pools/" + pool.pool
                + "/verify_progress")));
        assertEquals(pool.chunkCount(), ((Number) progress.get("compared")).longValue(), progress::toString);
        Object differ = progress.get("differ");
        assertTrue(differ instanceof Number n ? n.longValue() == 0 : differ instanceof List<?> l && l.isEmpty(),
                "verify_progress counts no differing chunk: " + progress);
        System.out.printf("[brmr tests] verify of %d chunks (%d MiB) on node %d took %d ms%n", pool.chunkCount(),
                pool.mappedSize * 512 >> 20, member, took.toMillis());
    }

    /** The chunks a node may hold without every leg having them, from its status. */
    static long activeChunks(LocalPool pool, int member) {
        Map<String, Object> status;
        try {
            status = JSON.std.mapFrom(ok(pool.daemon(member).ctl("status", "--json")));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<?> pools = (List<?>) status.get("pools");
        return ((Number) ((Map<?, ?>) pools.getFirst()).get("active_chunks")).longValue();
    }

    /**
     * Every node knows every chunk is clean -- each member it has a map of, and at least its own --
     * and the legs' data areas hold the same bytes.
     */
    static void legsIdentical(LocalPool pool) throws IOException {
        String clean = ": [] 0/" + pool.chunkCount() + " dirty";
        for (LocalPool.Node node : pool.nodes) {
            String own = "member " + node.member + clean;
            eventually(Duration.ofSeconds(30), "node " + node.member + " knows every chunk is clean",
                    () -> pool.read(node.member, "map_summary"),
                    summary -> summary.lines().anyMatch(own::equals)
                            && summary.lines().allMatch(line -> line.endsWith(clean)));
        }
        for (int member = 2; member <= pool.nodes.size(); member++) {
            assertEquals(List.of(), pool.differingChunks(1, member), "legs 1 and " + member + " are byte-identical");
        }
    }
}
