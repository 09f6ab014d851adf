package brmr.rmr.client;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tinylog.Logger;

/**
 * The compute client's side of a pool: its legs, one session per storage node, and what happens to
 * them: add, enable (after a map update), reconnect, delete. The IO over the legs is {@link ReplicatedIo},
 * the map protocol {@link MapProtocol}, the client's view of dirty chunks {@link KnownDirty}.
 *
 * <p>Locks: {@code legs} is guarded by this; this is never held while calling a leg. A leg's map
 * update and enable run under {@link ReplicatedIo#exclusive}, taken before this.
 */
public final class ClientPool {
    private static final Duration REFRESH_INTERVAL = Duration.ofSeconds(2);

    private final String name;
    private final int chunkSize;
    private final LegConnector connector;
    private final PeerTimeout timeout;
    /** Guarded by this. */
    private final Map<String, Leg> legs = new LinkedHashMap<>();
    private final KnownDirty known = new KnownDirty();
    private final ReplicatedIo io;
    private final MapProtocol maps;
    private volatile boolean closed;

    ClientPool(String name, int chunkSize, LegConnector connector, PeerTimeout timeout) {
        this.name = name;
        this.chunkSize = chunkSize;
        this.connector = connector;
        this.timeout = timeout;
        this.io = new ReplicatedIo(name, chunkSize, this::legs, this::legFailed, known);
        this.maps = new MapProtocol(name, this::legs, this::legFailed, known);
        Thread.ofVirtual().name("dirty-refresh-" + name).start(this::refreshLoop);
    }

    public String name() {
        return name;
    }

    public int chunkSize() {
        return chunkSize;
    }

    /** The pool's {@code peer_timeout}. */
    public PeerTimeout peerTimeout() {
        return timeout;
    }

    public synchronized List<Leg> legs() {
        return new ArrayList<>(legs.values());
    }

    public synchronized Optional<Leg> leg(String session) {
        return Optional.ofNullable(legs.get(session));
    }

    private Leg require(String session) throws PoolException {
        return leg(session).orElseThrow(() -> new PoolException("sessname", "no session " + session + " in pool "
                + name));
    }

    // ---- sessions ----

    /** {@code add_sess}: connects to a storage node and joins its server pool; the leg is then CREATED. */
    public Leg addSession(String session, InetSocketAddress address, Message.JoinMode mode) throws PoolException {
        synchronized (this) {
            if (legs.containsKey(session)) {
                throw new PoolException("sessname", "session " + session + " already exists in pool " + name);
            }
            for (Leg other : legs.values()) {
                if (other.address().equals(address)) {
                    throw new PoolException("path", "session " + other.name() + " already goes to " + other.where());
                }
            }
        }
        Leg leg = new Leg(Message.Role.COMPUTE, -1, name, session, address, chunkSize, mode, connector, timeout);
        Message.Failure refused;
        try {
            refused = leg.connect(this::connectionLost);
        } catch (IOException e) {
            throw new PoolException("path", "cannot reach " + leg.where() + ": " + e.getMessage());
        }
        if (refused != null) {
            throw new PoolException("sessname", leg.where() + " refused session " + session + ": " + refused.message());
        }
        synchronized (this) {
            if (legs.containsKey(session)) {
                leg.remove();
                throw new PoolException("sessname", "session " + session + " already exists in pool " + name);
            }
            legs.put(session, leg);
            if (leg.params() != null) {
                known.chunkCount(leg.params().chunkCount());
            }
        }
        return leg;
    }

    /**
     * {@code sessions/<s>/enable 1}: map update, then enable; the leg takes IO from then on. A leg in
     * maintenance that lost its connection connects again first.
     */
    public void enable(String session) throws PoolException {
        Leg leg = require(session);
        try {
            if (leg.state() == SessionState.MAINTENANCE && !leg.connected()) {
                Message.Failure refused = leg.connect(this::connectionLost);
                if (refused != null) {
                    throw new PoolException("sessname", leg.where() + " refused session " + session + ": "
                            + refused.message());
                }
            }
            enableLeg(leg);
        } catch (IOException e) {
            legFailed(leg, e.getMessage());
            throw new PoolException("sessname", "enabling " + session + " failed: " + e.getMessage());
        }
    }

    /**
     * {@code sessions/<s>/enable 0}: maintenance. With writes held off, the leg leaves service: later
     * writes name its member as missing (as for a failed leg), it does not reconnect, and it serves
     * again only after {@link #enable}. The last leg in service is refused: IO would stop.
     */
    public void maintenance(String session) throws PoolException {
        Leg leg = require(session);
        try {
            io.exclusive(() -> {
                SessionState before = leg.state();
                if (before == SessionState.MAINTENANCE) {
                    return;
                }
                if (before != SessionState.NORMAL && before != SessionState.CREATED) {
                    throw new PoolException("sessname", "session " + session + " is " + before.label()
                            + "; only a normal or created session goes into maintenance");
                }
                if (before == SessionState.NORMAL
                        && legs().stream().noneMatch(l -> l != leg && l.state() == SessionState.NORMAL)) {
                    throw new PoolException("sessname", "session " + session + " is the last leg in service of pool "
                            + name + "; IO would stop");
                }
                if (!leg.changeState(before, SessionState.MAINTENANCE)) {
                    throw new PoolException("sessname", "session " + session + " changed to " + leg.state().label()
                            + " meanwhile; try again");
                }
                Logger.info("pool {}: session {} in maintenance: out of service until enabled", name, session);
            });
        } catch (IOException e) {
            throw new PoolException("sessname", "maintenance of " + session + " failed: " + e.getMessage());
        }
    }

    /** {@code pool_enable}: enables every leg that is CREATED. */
    public void enableAll() throws PoolException {
        List<String> failures = new ArrayList<>();
        for (Leg leg : legs()) {
            if (leg.state() != SessionState.CREATED) {
                continue;
            }
            try {
                enableLeg(leg);
            } catch (IOException | PoolException e) {
                failures.add(leg.name() + ": " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new PoolException("pool_enable", String.join("; ", failures));
        }
    }

    /** Every enable of a leg that may have missed writes goes through a map update with writes held off. */
    private void enableLeg(Leg leg) throws IOException, PoolException {
        io.exclusive(() -> {
            switch (leg.state()) {
                case NORMAL -> {
                    return;
                }
                case CREATED, MAINTENANCE -> {
                }
                default -> throw new PoolException("sessname", "session " + leg.name() + " is " + leg.state().label()
                        + "; only a created session or one in maintenance can be enabled");
            }
            // a store never mapped has served no IO, so it missed nothing (and its size may not match yet)
            boolean update = leg.enabledOnce() || leg.params() == null || leg.params().mapped();
            if (update) {
                maps.update(leg);
            }
            Calls.expect(leg, leg.call(new Message.Enable()), Message.Ok.class);
            leg.enabled();
            Logger.info("pool {}: session {} enabled{}", name, leg.name(), update ? " after a map update" : "");
        });
    }

    /** {@code del_sess}: leaves the server pool ({@code delete} for good, {@code disassemble} for a shutdown). */
    public void deleteSession(String session, Message.LeaveMode mode) throws PoolException {
        Leg leg = require(session);
        leg.state(SessionState.REMOVING);
        try {
            leg.call(new Message.Leave(mode));
        } catch (IOException e) {
            Logger.info("pool {}: session {} left without a reply: {}", name, session, e.getMessage());
        }
        leg.remove();
        synchronized (this) {
            legs.remove(session);
        }
        Logger.info("pool {}: session {} removed ({})", name, session, mode);
    }

    /**
     * {@code sessions/<s>/reconnect}: a leg waiting to reconnect tries at once; a connected one drops its
     * connection and reconnects (and, if it was enabled, takes a map update and is enabled again).
     */
    public void reconnect(String session) throws PoolException {
        Leg leg = require(session);
        if (leg.state() == SessionState.MAINTENANCE) {
            throw new PoolException("sessname", "session " + session + " is in maintenance; write 1 to its enable "
                    + "to bring it back");
        }
        if (!leg.reconnectNow()) {
            legFailed(leg, "reconnect requested by the operator");
        }
    }

    private void connectionLost(Leg leg) {
        legFailed(leg, leg.lastError());
    }

    /** A leg failed: it takes no IO until it has reconnected and been given the writes it missed. */
    void legFailed(Leg leg, String reason) {
        leg.failAndReconnect(reason, this::connectionLost, back -> {
            if (back.enabledOnce()) {
                rejoin(back);
            }
        }, () -> !closed && legs().contains(leg));
    }

    /**
     * A leg that served before is connected again. With a leg in service it takes that leg's maps and
     * is enabled. With none, what each member missed is spread over the legs' records, so it waits,
     * connected but not in service, until every leg is back; the last one to return enables them all
     * with the union of their maps. An operator may enable a waiting leg by hand.
     */
    private void rejoin(Leg back) throws IOException, PoolException {
        io.exclusive(() -> {
            List<Leg> all = legs();
            if (all.stream().anyMatch(l -> l != back && l.state() == SessionState.NORMAL)) {
                enableLeg(back);
                return;
            }
            List<String> away = all.stream()
                    .filter(l -> l.state() != SessionState.CREATED && l.state() != SessionState.NORMAL)
                    .map(l -> l.name() + " (" + l.state() + ")").toList();
            if (!away.isEmpty()) {
                Logger.warn("pool {}: session {} is back, but no leg is in service; it waits for {} so that the legs "
                        + "agree on what each missed (write 1 to its enable to serve from the legs that are back)",
                        name, back.name(), String.join(", ", away));
                return;
            }
            for (Leg waiting : all) {
                if (waiting.state() == SessionState.CREATED && waiting.enabledOnce()) {
                    enableLeg(waiting);
                }
            }
        });
    }

    // ---- map and IO ----

    /** {@code map_device}: see {@link MapProtocol}. */
    public StoreParams map(long sizeSectors) throws PoolException {
        return maps.map(sizeSectors);
    }

    public void read(long offset, byte[] buffer, int bufferOffset, int length) throws IOException {
        io.read(offset, buffer, bufferOffset, length);
    }

    public void write(long offset, byte[] buffer, int bufferOffset, int length) throws IOException {
        io.write(offset, buffer, bufferOffset, length);
    }

    public void writeZeroes(long offset, int length) throws IOException {
        io.writeZeroes(offset, length);
    }

    public void flush() throws IOException {
        io.flush();
    }

    /** What the client believes each member lacks. */
    public String mapSummary() {
        return known.summary();
    }

    private void refreshLoop() {
        while (!closed) {
            try {
                Thread.sleep(REFRESH_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
            known.refresh(this::legs, this::legFailed);
        }
    }

    void close() {
        closed = true;
        for (Leg leg : legs()) {
            leg.remove();
        }
    }
}
