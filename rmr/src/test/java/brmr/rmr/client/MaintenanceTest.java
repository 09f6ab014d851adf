package brmr.rmr.client;

import static brmr.rmr.client.FakeNode.CHUNK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.PoolException;
import brmr.rmr.protocol.Message;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Maintenance mode ({@code sessions/<s>/enable 0|1}) against in-process storage nodes: the leg leaves
 * service as a failed one does for writes, but stays out until the operator enables it, and comes back
 * through a map update.
 */
class MaintenanceTest {
    private final TwoNodes nodes = new TwoNodes();
    private final FakeNode node1 = nodes.node1;
    private final FakeNode node2 = nodes.node2;
    private ClientPool pool;

    private ClientPool pool() throws PoolException {
        pool = nodes.enabledPool(UUID.randomUUID());
        return pool;
    }

    @AfterEach
    void close() {
        nodes.close();
    }

    private SessionState state(String session) {
        return nodes.state(session);
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        TwoNodes.eventually(what, condition);
    }

    private static long count(FakeNode node, String prefix) {
        return node.events().stream().filter(e -> e.startsWith(prefix)).count();
    }

    @Test
    void writesInMaintenanceNameTheMemberAsMissingAndSkipItsLeg() throws Exception {
        pool();
        node2.events().clear();
        pool.maintenance("s2");
        assertEquals(SessionState.MAINTENANCE, state("s2"));
        assertEquals("maintenance", state("s2").label());
        assertEquals(List.of("Maintenance"), node2.events(), "its node is told, so that its pool reads no_io");
        node2.events().clear();
        byte[] data = new byte[CHUNK];
        data[0] = 42;
        pool.write(5L * CHUNK, MemorySegment.ofArray(data).asSlice(0, CHUNK));
        assertTrue(node1.received("Write " + 5L * CHUNK + "+" + CHUNK + " missing [2]"), node1.events().toString());
        assertTrue(node1.isDirty(2, 5), "node 1 recorded that member 2 missed chunk 5");
        byte[] read = new byte[CHUNK];
        pool.read(5L * CHUNK, MemorySegment.ofArray(read).asSlice(0, CHUNK));
        assertArrayEquals(data, read);
        assertEquals(0, count(node2, "Write") + count(node2, "Read"), "no IO reaches the leg: " + node2.events());
        assertTrue(pool.mapSummary().contains("member 2: [5] 1/16 dirty"), pool.mapSummary());
    }

    @Test
    void enablingALegInMaintenanceGivesItAMapUpdateFirst() throws Exception {
        pool();
        pool.maintenance("s2");
        pool.write(3L * CHUNK, MemorySegment.ofArray(new byte[CHUNK]));
        node2.events().clear();
        pool.enable("s2");
        assertEquals(SessionState.NORMAL, state("s2"));
        List<String> events = node2.events();
        assertTrue(events.indexOf("MapUpdate") >= 0 && events.indexOf("MapUpdate") < events.indexOf("Enable"),
                events.toString());
        assertFalse(events.contains("Hello"), "the connection stayed open through maintenance: " + events);
        assertTrue(node2.isDirty(2, 3), "node 2 learnt that it lacks chunk 3");
        pool.write(4L * CHUNK, MemorySegment.ofArray(new byte[CHUNK]));
        assertTrue(node2.received("Write " + 4L * CHUNK + "+" + CHUNK + " missing []"), node2.events().toString());
    }

    @Test
    void whatTheLegHadNotFlushedIsRecordedAtTheNextFlush() throws Exception {
        pool();
        pool.write(6L * CHUNK, MemorySegment.ofArray(new byte[CHUNK]));
        assertFalse(node1.isDirty(2, 6));
        pool.maintenance("s2");
        pool.flush();
        assertTrue(node1.isDirty(2, 6), "chunk 6 may not be on member 2's disk yet");
    }

    @Test
    void aLegInMaintenanceThatLosesItsConnectionWaitsForTheOperator() throws Exception {
        pool();
        pool.maintenance("s2");
        Leg leg = pool.leg("s2").orElseThrow();
        node2.events().clear();
        node2.unreachable(true);
        eventually("the connection of s2 is gone", () -> !leg.connected());
        assertEquals(SessionState.MAINTENANCE, state("s2"), "a lost connection starts no reconnect loop");
        PoolException refused = assertThrows(PoolException.class, () -> pool.reconnect("s2"));
        assertTrue(refused.getMessage().contains("in maintenance; write 1 to its enable"), refused.getMessage());

        assertThrows(PoolException.class, () -> pool.enable("s2"));
        assertEquals(SessionState.MAINTENANCE, state("s2"), "an enable that cannot connect leaves it in maintenance");
        node2.unreachable(false);
        pool.enable("s2");
        assertEquals(SessionState.NORMAL, state("s2"));
        List<String> events = node2.events();
        assertTrue(events.indexOf("Hello") < events.indexOf("MapUpdate")
                && events.indexOf("MapUpdate") < events.indexOf("Enable"), events.toString());
    }

    @Test
    void theLastLegInServiceAndALegAwayAreRefused() throws Exception {
        pool();
        pool.maintenance("s2");
        pool.maintenance("s2");
        PoolException last = assertThrows(PoolException.class, () -> pool.maintenance("s1"));
        assertEquals("sessname: session s1 is the last leg in service of pool p; IO would stop", last.getMessage());
        pool.enable("s2");

        node2.unreachable(true);
        eventually("s2 out of service", () -> state("s2") != SessionState.NORMAL);
        PoolException away = assertThrows(PoolException.class, () -> pool.maintenance("s2"));
        assertTrue(away.getMessage().contains("; only a normal or created session goes into maintenance"),
                away.getMessage());
        node2.unreachable(false);
    }
}
