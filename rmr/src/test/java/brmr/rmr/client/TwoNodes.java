package brmr.rmr.client;

import static brmr.rmr.client.FakeNode.CHUNK;

import brmr.rmr.PoolException;
import brmr.rmr.protocol.Message;
import java.time.Duration;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/** Two in-process storage nodes and the client pool over them that the replication-core tests share. */
final class TwoNodes implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofMillis(300);
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    final FakeNode node1 = new FakeNode(1);
    final FakeNode node2 = new FakeNode(2);
    private final LegConnector connector = (address, connectTimeout, identity, onClosed) ->
            (address.equals(node1.address) ? node1 : node2).open(onClosed);
    private ClientPool pool;

    /** A client pool over both nodes, no session yet; it replaces (but does not close) the one before. */
    ClientPool newPool(UUID client) {
        pool = new ClientPool("p", CHUNK, connector, new PeerTimeout(TIMEOUT), new ClientWriter(client));
        return pool;
    }

    /** A new pool with a create-mode session to each node (s1, s2), both enabled. */
    ClientPool enabledPool(UUID client) throws PoolException {
        ClientPool created = newPool(client);
        created.addSession("s1", node1.address, Message.JoinMode.CREATE);
        created.addSession("s2", node2.address, Message.JoinMode.CREATE);
        created.enableAll();
        return created;
    }

    SessionState state(String session) {
        return pool.leg(session).orElseThrow().state();
    }

    static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + DEADLINE + ": " + what);
            }
            Thread.sleep(5);
        }
    }

    @Override
    public void close() {
        node1.resume();
        node2.resume();
        if (pool != null) {
            pool.close();
        }
    }
}
