package brmr.rmr.client;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.tinylog.Logger;

/**
 * The compute client's side of a pool: its legs, one session per storage node, and what happens to
 * them: add, enable (after a map update), reconnect, delete. The IO over the legs is {@link ReplicatedIo},
 * the map protocol {@link MapProtocol}, the client's view of dirty chunks {@link KnownDirty}.
 *
 * <p>Locks: {@code legs} is guarded by this; this is never held while calling a leg. The IO path reads
 * the legs from {@code legList}, a snapshot replaced on every change, without a lock. A leg's map
 * update and enable run under {@link ReplicatedIo#exclusive}, taken before this.
 */
public final class ClientPool {
    private static final Duration REFRESH_INTERVAL = Duration.ofSeconds(2);
    /** Refresh ticks between two clears of the legs' active chunks: each clear costs the next writes a record. */
    private static final int CLEARS_EVERY = 5;

    private final String name;
    private final int chunkSize;
    private final LegConnector connector;
    private final PeerTimeout timeout;
    private final ClientWriter writer;
    /** Guarded by this. */
    private final Map<String, Leg> legs = new LinkedHashMap<>();
    /** The values of {@code legs}, immutable; written under this whenever they change, read anywhere. */
    private volatile List<Leg> legList = List.of();
    private final KnownDirty known = new KnownDirty();
    private final ReplicatedIo io;
    private final MapProtocol maps;
    private volatile boolean closed;
    /** ActivityResolved rounds still to send for writes already resolved once; only the refresh thread uses it. */
    private int resolvesOwed;

    ClientPool(String name, int chunkSize, LegConnector connector, PeerTimeout timeout, ClientWriter writer) {
        this.name = name;
        this.chunkSize = chunkSize;
        this.connector = connector;
        this.timeout = timeout;
        this.writer = writer;
        this.io = new ReplicatedIo(name, chunkSize, this::legs, this::legFailed, known);
        this.maps = new MapProtocol(name, this::legs, this::legFailed, known, writer);
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

    /** The legs, in the order they were added; an immutable snapshot, taken without a lock (once per IO). */
    public List<Leg> legs() {
        return legList;
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
        return addSession(session, address, mode, false);
    }

    /**
     * As {@link #addSession(String, InetSocketAddress, Message.JoinMode)}; with {@code force} the join
     * takes the pool over from another client that is still connected to the node, which fences it.
     */
    public Leg addSession(String session, InetSocketAddress address, Message.JoinMode mode, boolean force)
            throws PoolException {
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
        Leg leg = new Leg(name, session, address, chunkSize, mode, connector, timeout, writer, force);
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
            legList = List.copyOf(legs.values());
            if (leg.params() != null) {
                known.chunkCount(leg.params().chunkCount());
            }
        }
        if (mode == Message.JoinMode.ASSEMBLE) {
            enableOnceAssembled();
        }
        return leg;
    }

    /**
     * After an assemble-mode session: once every member the newest record lists as in service has a
     * session here, the pool enables itself (recovery first), as upstream does; {@code pool_enable}
     * stays for the rest.
     */
    private void enableOnceAssembled() {
        List<Leg> all = legs();
        if (all.stream().anyMatch(l -> l.state() == SessionState.NORMAL)) {
            // the pool serves already: the new leg joins it through a map update
            for (Leg leg : all) {
                if (leg.state() == SessionState.CREATED && leg.params() != null && leg.params().mapped()) {
                    try {
                        enableLeg(leg);
                    } catch (IOException | PoolException e) {
                        Logger.warn("pool {}: session {} is back, but was not enabled: {}", name, leg.name(),
                                e.getMessage());
                    }
                }
            }
            return;
        }
        Message.RecoveryState newest = null;
        for (Leg leg : all) {
            if (leg.state() != SessionState.CREATED) {
                continue;
            }
            try {
                Message.RecoveryState state = Calls.expect(leg, leg.call(new Message.GetRecovery()),
                        Message.RecoveryState.class);
                if (newest == null || state.writerEpoch() > newest.writerEpoch()
                        || (state.writerEpoch() == newest.writerEpoch() && state.mapVersion() > newest.mapVersion())) {
                    newest = state;
                }
            } catch (IOException | PoolException e) {
                return;
            }
        }
        Set<Integer> joined = new TreeSet<>();
        all.stream().filter(l -> l.state() == SessionState.CREATED).forEach(l -> joined.add(l.memberId()));
        if (newest == null || newest.inService().isEmpty() || !joined.containsAll(newest.inService())) {
            return;
        }
        try {
            enableAll(false);
            Logger.info("pool {}: every member in service ({}) has its session again; the pool enabled itself", name,
                    newest.inService());
        } catch (PoolException e) {
            Logger.warn("pool {}: the sessions are back, but the pool did not enable itself: {}", name,
                    e.getMessage());
        }
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
                tellMaintenance(leg);
            });
        } catch (IOException e) {
            throw new PoolException("sessname", "maintenance of " + session + " failed: " + e.getMessage());
        }
    }

    /** Its node shows the pool out of service; a node that cannot be told has lost the session, which does the same. */
    private void tellMaintenance(Leg leg) {
        if (!leg.connected()) {
            return;
        }
        try {
            Calls.expect(leg, leg.call(new Message.Maintenance()), Message.Ok.class);
        } catch (IOException | PoolException e) {
            Logger.warn("pool {}: session {} is in maintenance, but its node was not told: {}", name, leg.name(),
                    e.getMessage());
        }
    }

    /**
     * {@code pool_enable}: enables every leg that is CREATED. With a leg in service each takes its map
     * update from it; with none, the CREATED legs are assembled first ({@link MapProtocol#assemble}).
     */
    public void enableAll() throws PoolException {
        enableAll(false);
    }

    /** As {@link #enableAll()}; {@code force} assembles even from legs that cannot prove they are current. */
    public void enableAll(boolean force) throws PoolException {
        try {
            io.exclusive(() -> {
                if (legs().stream().noneMatch(l -> l.state() == SessionState.NORMAL)) {
                    assembleCreated(force);
                }
            });
        } catch (IOException e) {
            throw new PoolException("pool_enable", e.getMessage());
        }
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

    /** Assembles and enables every CREATED leg; called with writes held off and no leg in service. */
    private void assembleCreated(boolean force) throws IOException, PoolException {
        List<Leg> joined = legs().stream().filter(l -> l.state() == SessionState.CREATED).toList();
        if (joined.isEmpty()) {
            return;
        }
        maps.assemble(joined, force);
        for (Leg leg : joined) {
            Calls.expect(leg, leg.call(new Message.Enable()), Message.Ok.class);
            leg.enabled();
            Logger.info("pool {}: session {} enabled after recovery", name, leg.name());
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
            List<Leg> serving = legs().stream().filter(l -> l.state() == SessionState.NORMAL).toList();
            if (update && serving.isEmpty()) {
                assembleCreated(false);
                return;
            }
            if (update) {
                maps.checkNotDivergent(leg, serving.getFirst());
                maps.update(leg);
            }
            Calls.expect(leg, leg.call(new Message.Enable()), Message.Ok.class);
            leg.enabled();
            if (update) {
                List<Leg> nowServing = new ArrayList<>(serving);
                nowServing.add(leg);
                maps.recordService(nowServing);
            }
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
            legList = List.copyOf(legs.values());
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
            try {
                assembleCreated(false);
            } catch (PoolException e) {
                Logger.warn("pool {}: the legs are back but are not enabled: {}", name, e.getMessage());
            }
        });
    }

    // ---- map and IO ----

    /** {@code map_device}: see {@link MapProtocol}; the legs in service then record that they are. */
    public StoreParams map(long sizeSectors) throws PoolException {
        return map(sizeSectors, false);
    }

    /** As {@link #map(long)}; {@code assumeClean}: a new pool's disks are identical, no initial sync. */
    public StoreParams map(long sizeSectors, boolean assumeClean) throws PoolException {
        StoreParams params = maps.map(sizeSectors, assumeClean);
        try {
            io.exclusive(() -> maps.recordService(legs().stream().filter(l -> l.state() == SessionState.NORMAL)
                    .toList()));
        } catch (IOException e) {
            throw new PoolException("pool", name + ": recording the legs in service failed: " + e.getMessage());
        }
        return params;
    }

    /**
     * Reads {@code dst.byteSize()} bytes at {@code offset} straight into {@code dst} (a leg's reply is
     * read into it from the socket). {@code dst} stays the caller's: it is not touched after this
     * returns or throws, but for an interrupt.
     */
    public void read(long offset, MemorySegment dst) throws IOException {
        io.read(offset, dst);
    }

    /**
     * Writes {@code src.byteSize()} bytes at {@code offset}: {@code src} itself goes to every leg, so it
     * must not change until this returns; it stays the caller's.
     */
    public void write(long offset, MemorySegment src) throws IOException {
        io.write(offset, src);
    }

    public void writeZeroes(long offset, int length) throws IOException {
        io.writeZeroes(offset, length);
    }

    /** The range is no longer needed; it reads as zeroes afterwards, on every leg. */
    public void trim(long offset, int length) throws IOException {
        io.trim(offset, length);
    }

    public void flush() throws IOException {
        io.flush();
    }

    /** What the client believes each member lacks. */
    public String mapSummary() {
        return known.summary();
    }

    /** Per member: the chunks this client believes it lacks (for metrics). */
    public Map<Integer, Long> knownDirtyCounts() {
        return known.dirtyCounts();
    }

    private void refreshLoop() {
        long ticks = 0;
        while (!closed) {
            try {
                Thread.sleep(REFRESH_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
            known.refresh(this::legs, this::legFailed);
            if (++ticks % CLEARS_EVERY == 0) {
                clearActivity();
            }
        }
    }

    /**
     * Writes this client has acknowledged are on every leg in service or recorded as missed, so with
     * none in flight the legs may forget their active chunks: recovery after a client crash then has
     * only the writes since to turn into dirty marks.
     */
    private void clearActivity() {
        try {
            io.exclusive(() -> {
                // a leg forgets only chunks not written since its previous resolve: one more after the writes stop
                if (io.takeWritten()) {
                    resolvesOwed = 2;
                }
                if (resolvesOwed == 0) {
                    return;
                }
                resolvesOwed--;
                List<Leg> serving = legs().stream().filter(l -> l.state() == SessionState.NORMAL).toList();
                for (Map.Entry<Leg, Message> reply : Calls.all(serving, new Message.ActivityResolved()).entrySet()) {
                    if (!(reply.getValue() instanceof Message.Ok)) {
                        Logger.debug("pool {}: {} kept its active chunks: {}", name, reply.getKey().name(),
                                Calls.describe(reply.getValue()));
                    }
                }
            });
        } catch (IOException | PoolException e) {
            Logger.debug("pool {}: clearing the active chunks failed: {}", name, e.getMessage());
        }
    }

    void close() {
        closed = true;
        for (Leg leg : legs()) {
            leg.remove();
        }
    }
}
