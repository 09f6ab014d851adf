package brmr.rmr.server;

import brmr.rmr.IoOp;
import brmr.rmr.IoStats;
import brmr.rmr.PoolException;
import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.map.DirtyMap;
import brmr.rmr.map.MapSummary;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Status;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.Optional;
import java.util.UUID;
import java.util.function.IntFunction;
import java.util.stream.LongStream;
import org.tinylog.Logger;

/**
 * The server side of one pool on a storage node: its state machine (EMPTY, REGISTERED, CREATED,
 * NORMAL, NO_IO), the store registered with it and the compute session it serves; the facade the
 * sessions, the adapter and the control files call. A store's IO goes to its {@link PoolIo}, its
 * dirty maps to {@link DirtyMaps}, and every call on its disk through {@link StoreAccess}.
 *
 * <p>Lock order, outermost first: a {@link SyncThread}'s monitor; chunk locks ({@link ChunkLocks},
 * ascending stripes); a member's dirty-map persist lock; the in-service record's persist lock
 * ({@link ServiceRecord}); this pool's monitor; {@link ComputeSessions}; then the leaves
 * ({@link DirtyMaps}, {@link ServiceRecord}, {@link ActiveChunks}, {@link PoolWriter},
 * {@link StoreAccess}, {@link IoGate}, {@link ChunkSync}, {@link UnmapGuard}, {@link DirtyMap}), which
 * call out to nothing while held. The active chunks' group commit is joined holding no lock (its
 * persisting thread holds none either while it writes). Nothing waits for store IO or for another
 * session's requests while holding this pool's monitor: a failing store call takes it (to go NO_IO)
 * while it may hold chunk or persist locks.
 */
public final class ServerPool {
    /** How long a compute session's join waits for the requests of the session it replaces. */
    static final Duration STALE_DRAIN = Duration.ofSeconds(3);
    /** How long {@code sync start} waits for the client to enable a pool that is about to serve. */
    static final Duration SYNC_START_WAIT = Duration.ofSeconds(30);

    private final String name;
    private final int memberId;
    private final int chunkSize;
    private final SyncSettings syncSettings;
    private final ComputeSessions sessions;
    private final ServedSessions served = new ServedSessions();
    /** The sync sessions to peers; written under this, read anywhere. */
    private volatile PeerLink peers = PeerLink.NONE;
    private final VerifyThread verify = new VerifyThread(new PoolVerifyView(this));
    /** The compute client's IO this pool served. */
    private final IoStats ioStats = new IoStats();
    /** Written under this, read anywhere (the IO path checks it without the lock). */
    private volatile PoolState state = PoolState.EMPTY;
    /** The client took this leg out of service on purpose ({@code Maintenance}); guarded by this. */
    private boolean maintenance;
    /** What a registration sees of this pool. */
    private final Registration.Pool owner;
    /** The registered store and what belongs to it; null while EMPTY. Written under this, read anywhere. */
    private volatile Registration registration;

    ServerPool(String name, int memberId, int chunkSize, SyncSettings syncSettings) {
        this.name = name;
        this.memberId = memberId;
        this.chunkSize = chunkSize;
        this.syncSettings = syncSettings;
        this.sessions = new ComputeSessions("pool " + name + " on member " + memberId);
        this.owner = new Registration.Pool(name, memberId, chunkSize, () -> peers, this::storeFailed,
                this::whyNotSyncing);
    }

    public String name() {
        return name;
    }

    public int memberId() {
        return memberId;
    }

    public int chunkSize() {
        return chunkSize;
    }

    /** The compute client's reads, writes and flushes this pool served. */
    public IoStats ioStats() {
        return ioStats;
    }

    public synchronized PoolState state() {
        return state;
    }

    public synchronized Optional<PoolStore> store() {
        return Optional.ofNullable(registration).map(r -> r.access().store());
    }

    public synchronized Optional<RegisterMode> registerMode() {
        return Optional.ofNullable(registration).map(Registration::mode);
    }

    /** Why the registered store failed; empty while it is healthy or there is none. */
    public Optional<String> storeFailure() {
        Registration current;
        synchronized (this) {
            current = registration;
        }
        return current == null ? Optional.empty() : current.access().failure();
    }

    /** The sync sessions to this pool's peers: where missing chunks come from, and who hears of progress. */
    public synchronized void link(PeerLink link) {
        this.peers = link;
    }

    /** Detaches {@code link} (a sync pool being left); a pool linked to another one keeps that. */
    public synchronized void unlink(PeerLink link) {
        if (peers == link) {
            peers = PeerLink.NONE;
        }
    }

    public boolean linked() {
        return peers != PeerLink.NONE;
    }

    public boolean linkedTo(PeerLink link) {
        return peers == link;
    }

    // ---- store registration (brmr-server, through the RMR adapter) ----

    synchronized void register(PoolStore newStore, RegisterMode mode) throws PoolException {
        if (registration != null) {
            throw new PoolException("pool", name + " already has a store ("
                    + registration.access().store().deviceName() + ")");
        }
        StoreParams params = newStore.params();
        if (params.chunkSize() != chunkSize) {
            throw new PoolException("chunk_size", "the store uses " + params.chunkSize() + ", pool " + name
                    + " was joined with " + chunkSize);
        }
        try {
            registration = Registration.open(owner, newStore, mode, syncSettings);
        } catch (IOException e) {
            throw new PoolException("device", "cannot read the dirty maps of " + newStore.deviceName() + ": "
                    + e.getMessage(), e);
        }
        state = PoolState.REGISTERED;
        Logger.info("pool {}: store {} registered ({} mode)", name, newStore.deviceName(), mode);
    }

    /**
     * Takes the store away: new IO on it is refused from now on, the compute client's session is
     * ended (it reconnects and waits for a new store), and this returns once the sync thread has
     * stopped and no IO is in flight on the store, so its descriptor may be closed.
     */
    void unregister() throws PoolException {
        Registration gone;
        List<SessionLink> ended;
        synchronized (this) {
            gone = registration;
            if (gone == null) {
                throw new PoolException("pool", name + " has no store");
            }
            gone.access().gate().close();
            registration = null;
            state = PoolState.EMPTY;
            maintenance = false;
            ended = sessions.clear();
            notifyAll();
        }
        ended.forEach(SessionLink::close);
        gone.sync().stop();
        verify.stop("the store of pool " + name + " is being removed");
        gone.access().gate().closeAndDrain();
        Logger.info("pool {}: store {} unregistered", name, gone.access().store().deviceName());
    }

    /** The first failed call on the store: the pool serves no IO until the store is removed and re-added. */
    private synchronized void storeFailed(StoreAccess access) {
        if (registration != null && registration.access() == access) {
            state = PoolState.NO_IO;
            notifyAll();
            Logger.info("pool {}: state {}, its store failed", name, state);
        }
    }

    /** Marks chunks dirty for this member, persists that in one write, and tells the peers. */
    void discard(LongStream chunks) throws PoolException {
        Registration current = requireRegistered();
        long[] range;
        try {
            range = current.maps().markOwn(chunks);
        } catch (RequestException e) {
            throw new PoolException(e.status() == Status.INVALID ? "chunks" : "device", e.getMessage(), e);
        }
        if (range != null) {
            peers.lacking(range[0], range[1]);
        }
    }

    /**
     * {@code discard_my_data}: the operator's answer to a split brain -- this node's writes are the
     * ones to drop. Every chunk becomes one it lacks (the sync fetches them from the peers), and its
     * record of the pool's history is cleared (no writer epoch, no member in service), so recovery
     * takes it as the stale side. Refused while a compute session is connected.
     */
    public void discardMyData() throws PoolException {
        Registration current;
        synchronized (this) {
            current = requireRegistered();
            SessionLink client = sessions.current().orElse(null);
            if (client != null) {
                throw new PoolException("discard_my_data", "pool " + name + " on member " + memberId
                        + " still serves compute session " + client.name() + "; del_sess it (or stop that client) "
                        + "first");
            }
        }
        discard(LongStream.range(0, current.access().params().chunkCount()));
        try {
            current.access().run("writer record", store -> {
                store.persistWriter(0, null);
                return null;
            });
            current.writer().cleared();
            current.service().forget();
        } catch (RequestException e) {
            throw new PoolException("device", e.getMessage(), e);
        }
        Logger.warn("pool {}: member {} discarded its data: every chunk is to be synced from the peers", name,
                memberId);
    }

    private synchronized Registration requireRegistered() throws PoolException {
        if (registration == null) {
            throw new PoolException("pool", name + " has no store");
        }
        return registration;
    }

    // ---- sync ----

    /** Null when the store of {@code access} may sync now, else why not. */
    private synchronized String whyNotSyncing(StoreAccess access) {
        if (registration == null || registration.access() != access) {
            return "pool " + name + " has no store";
        }
        String failure = access.failure().orElse(null);
        if (failure != null) {
            return access.sentence(failure);
        }
        return state == PoolState.NORMAL ? null
                : "pool " + name + " is " + state + "; sync runs only in " + PoolState.NORMAL;
    }

    /**
     * {@code sync start}: fetches every chunk this member lacks from its peers. Right after
     * {@code add_store} (as the operator guide writes it) the pool waits for its client to enable it:
     * the start waits for that, up to {@link #SYNC_START_WAIT}.
     */
    public void startSync() throws RequestException {
        awaitClientEnable();
        requireSync().start();
    }

    /** Waits while a healthy store waits for its client: the client reconnects, updates its map and enables the pool. */
    private synchronized void awaitClientEnable() {
        long deadline = System.nanoTime() + SYNC_START_WAIT.toNanos();
        while (clientMayEnableSoon()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A store just added (its client reconnects to it) or a joined session not yet enabled (nor in maintenance). */
    private boolean clientMayEnableSoon() {
        if (registration == null || registration.access().failure().isPresent() || maintenance) {
            return false;
        }
        return switch (state) {
            case REGISTERED -> true;
            case CREATED, NO_IO -> sessions.current().isPresent();
            case EMPTY, NORMAL -> false;
        };
    }

    /** {@code sync stop}: stops after the chunks in flight. */
    public void stopSync() throws RequestException {
        requireSync().stop();
    }

    public synchronized Optional<SyncProgress> syncProgress() {
        return Optional.ofNullable(registration).map(r -> r.sync().progress());
    }

    private synchronized SyncThread requireSync() throws RequestException {
        if (registration == null) {
            throw new RequestException(Status.NOT_READY, "pool " + name + " has no store to sync");
        }
        return registration.sync();
    }

    // ---- online verify ----

    /** The pool's online verify ({@code rmr-server/pools/<p>/verify}); it runs only while the pool has a store. */
    public VerifyThread verify() {
        return verify;
    }

    /** Whether this member lacks the chunk; true while the pool has no store. */
    boolean isDirtyHere(long chunk) {
        Registration current;
        synchronized (this) {
            current = registration;
        }
        return current == null || current.maps().own().isDirty(chunk);
    }

    PeerLink peerLink() {
        return peers;
    }

    SyncSettings syncSettings() {
        return syncSettings;
    }

    // ---- sessions ----

    /** Every session this pool serves now, compute and sync, with whether it authenticated. */
    public List<ServedSession> servedSessions() {
        return served.list();
    }

    ServedSessions served() {
        return served;
    }

    /**
     * A compute session joins. One that replaces an older session of the same client (a reconnect)
     * waits, up to {@link #STALE_DRAIN}, for the older one's requests in flight; the older one is
     * closed and its later requests are refused.
     */
    Message.HelloOk joinCompute(SessionLink link, Message.JoinMode mode, int clientChunkSize)
            throws RequestException {
        SessionLink stale;
        boolean takeOver;
        Registration writerRecord;
        synchronized (this) {
            Registration current = registration;
            if (current == null) {
                throw new RequestException(Status.REFUSED, "pool " + name + " on member " + memberId
                        + " has no store; no session may join an " + PoolState.EMPTY + " pool");
            }
            String failure = current.access().failure().orElse(null);
            if (failure != null) {
                throw new RequestException(Status.REFUSED, current.access().sentence(failure));
            }
            if (clientChunkSize != chunkSize) {
                throw new RequestException(Status.REFUSED, "chunk_size: the client uses " + clientChunkSize
                        + ", pool " + name + " on member " + memberId + " uses " + chunkSize);
            }
            boolean mapped = current.access().params().mapped();
            if (mode == Message.JoinMode.CREATE && mapped) {
                throw new RequestException(Status.REFUSED, "the store of pool " + name + " on member " + memberId
                        + " is mapped; join with mode=assemble");
            }
            if (mode == Message.JoinMode.ASSEMBLE && current.mode() == RegisterMode.CREATE && !mapped) {
                throw new RequestException(Status.REFUSED, "the store of pool " + name + " on member " + memberId
                        + " was just created; join with mode=create");
            }
            SessionLink other = sessions.current().orElse(null);
            Message.Writer joining = link.writer();
            current.writer().checkJoin(joining);
            takeOver = other != null && PoolWriter.otherClient(other.writer(), joining);
            if (takeOver && !joining.force()) {
                throw new RequestException(Status.REFUSED, "pool " + name + " on member " + memberId
                        + " is in use by another client; add the session with force=1 to take it over (that "
                        + "client is then fenced)");
            }
            if (other != null && !takeOver && !other.name().equals(link.name())) {
                // the refused peer learns nothing of the other session, not even its name
                throw new RequestException(Status.REFUSED, "pool " + name + " on member " + memberId
                        + " already serves another compute session");
            }
            writerRecord = current;
        }
        if (takeOver) {
            // fence first: from the new epoch on the other client can neither write nor rejoin
            long epoch = writerRecord.writer().epoch() + 1;
            recordWriter(writerRecord, epoch, link.writer().clientId());
            Logger.warn("pool {}: client {} took the pool over from another client (force=1), writer epoch {}", name,
                    link.writer().clientId(), epoch);
        }
        synchronized (this) {
            if (registration != writerRecord) {
                throw new RequestException(Status.REFUSED, "pool " + name + " on member " + memberId
                        + " lost its store while session " + link.name() + " joined");
            }
            stale = sessions.replace(link);
            state = mode == Message.JoinMode.CREATE ? PoolState.CREATED : PoolState.NO_IO;
            maintenance = false;
        }
        if (stale != null) {
            stale.close();
        }
        int left = sessions.awaitOthersIdle(link, STALE_DRAIN);
        synchronized (this) {
            if (left > 0) {
                if (sessions.end(link) && registration != null) {
                    state = PoolState.NO_IO;
                }
                throw new RequestException(Status.REFUSED, "the previous compute session of pool " + name
                        + " on member " + memberId + " still has " + left + " request(s) in flight after "
                        + STALE_DRAIN.toSeconds() + " s; join again later");
            }
            if (registration == null || !sessions.isCurrent(link)) {
                throw new RequestException(Status.REFUSED, "pool " + name + " on member " + memberId
                        + (registration == null ? " lost its store" : " took another compute session")
                        + " while session " + link.name() + " joined");
            }
            Logger.info("pool {}: compute session {} joined ({}), state {}", name, link.name(), mode, state);
            return new Message.HelloOk(memberId, state.name(), registration.access().params(),
                    registration.writer().epoch());
        }
    }

    /** {@code ClaimWriter}: the session's client becomes the pool's writer at {@code epoch}, recorded on the store. */
    void claimWriter(SessionLink link, long epoch) throws RequestException {
        Message.Writer writer = link.writer();
        if (writer == null) {
            throw new RequestException(Status.INVALID, "session " + link.name() + " named no client in its Hello");
        }
        Registration current = requireStore();
        current.writer().checkClaim(epoch);
        recordWriter(current, epoch, writer.clientId());
        Logger.info("pool {}: client {} is the writer, epoch {}", name, writer.clientId(), epoch);
    }

    private static void recordWriter(Registration current, long epoch, UUID client) throws RequestException {
        current.access().run("writer record", store -> {
            store.persistWriter(epoch, client);
            return null;
        });
        current.writer().claimed(epoch, client);
    }

    /** Admits one request of a compute session; refused once the session is no longer the pool's. */
    ComputeSessions.Admission admit(SessionLink link) throws RequestException {
        return sessions.admit(link);
    }

    synchronized void enable(SessionLink link) throws RequestException {
        if (!sessions.isCurrent(link)) {
            throw new RequestException(Status.REFUSED, "session " + link.name() + " has not joined pool " + name);
        }
        String failure = registration == null ? null : registration.access().failure().orElse(null);
        if (failure != null) {
            throw new RequestException(Status.REFUSED, registration.access().sentence(failure));
        }
        switch (state) {
            case CREATED, NO_IO, NORMAL -> state = PoolState.NORMAL;
            default -> throw new RequestException(Status.REFUSED, "pool " + name + " is " + state
                    + "; only a " + PoolState.CREATED + " or " + PoolState.NO_IO + " pool can be enabled");
        }
        maintenance = false;
        notifyAll();
        Logger.info("pool {}: enabled by {}, state {}", name, link.name(), state);
    }

    /** {@code Maintenance}: the client took this leg out of service on purpose; no IO until it enables it again. */
    synchronized void maintenance(SessionLink link) throws RequestException {
        if (!sessions.isCurrent(link)) {
            throw new RequestException(Status.REFUSED, "session " + link.name() + " has not joined pool " + name);
        }
        if (state == PoolState.NORMAL || state == PoolState.CREATED) {
            state = PoolState.NO_IO;
        }
        maintenance = true;
        Logger.info("pool {}: in maintenance by {}, state {}", name, link.name(), state);
    }

    /** A compute session left or broke: without a client the pool serves no IO. */
    synchronized void computeSessionEnded(SessionLink link) {
        if (sessions.end(link)) {
            state = registration != null ? PoolState.NO_IO : PoolState.EMPTY;
            maintenance = false;
            notifyAll();
            Logger.info("pool {}: compute session {} ended, state {}", name, link.name(), state);
        }
    }

    /**
     * A peer storage node opens a sync session: no state change, it reads chunks and parameters. Only
     * another member of the pool may (see {@link #requireMembers}).
     */
    synchronized Message.HelloOk joinSync(int peerMember, int peerChunkSize) throws RequestException {
        if (peerMember == memberId) {
            throw new RequestException(Status.REFUSED, "a sync session of pool " + name + " cannot come from member "
                    + memberId + ", this node's own");
        }
        if (registration != null) {
            requireMembers(registration, List.of(peerMember), "sync session");
        }
        if (peerChunkSize != chunkSize) {
            throw new RequestException(Status.REFUSED, "chunk_size: member " + peerMember + " uses " + peerChunkSize
                    + ", pool " + name + " on member " + memberId + " uses " + chunkSize);
        }
        return new Message.HelloOk(memberId, state.name(), params().orElse(null));
    }

    // ---- authorization ----

    /**
     * Refuses members the pool does not have. The pool's member list is what this node recorded of it:
     * the members in service at its map version (the client records them when it enables legs and maps)
     * and the members it holds a dirty map of. Until the first map has recorded any member besides this
     * node's own, the list is still being assembled and every member id is accepted.
     */
    private void requireMembers(Registration current, Collection<Integer> named, String what)
            throws RequestException {
        Set<Integer> members = enforcedMembers(current);
        if (members == null) {
            return;
        }
        for (int member : named) {
            if (!members.contains(member)) {
                throw new RequestException(Status.REFUSED, what + ": member " + member + " is not a member of pool "
                        + name + " (members " + members + ")");
            }
        }
    }

    /** The recorded member list (see {@link #requireMembers}), or null while it is still being assembled. */
    private static Set<Integer> enforcedMembers(Registration current) {
        if (!current.access().params().mapped()) {
            return null;
        }
        Set<Integer> members = new TreeSet<>(current.service().state().members());
        current.maps().all().forEach(map -> members.add(map.memberId()));
        return members.size() > 1 ? members : null;
    }

    /** Only the pool's writer changes data or maps: a session of a client fenced by a newer writer is refused. */
    void checkWriter(SessionLink link) throws RequestException {
        requireStore().writer().checkJoin(link.writer());
    }

    // ---- requests ----

    public synchronized Optional<StoreParams> params() {
        return Optional.ofNullable(registration).map(r -> r.access().params());
    }

    /** First client map: records MAPPED and the pool UUID. */
    void markMapped(UUID poolUuid) throws RequestException {
        Registration current;
        synchronized (this) {
            current = requireStore();
            current.access().requireHealthy();
            if (state != PoolState.NORMAL) {
                throw new RequestException(Status.NOT_READY, "pool " + name + " on member " + memberId + " is "
                        + state + "; a map needs " + PoolState.NORMAL);
            }
            StoreParams params = current.access().params();
            if (params.mapped() && !poolUuid.equals(params.poolUuid())) {
                throw new RequestException(Status.REFUSED, "the store of pool " + name + " on member " + memberId
                        + " is already mapped with pool UUID " + params.poolUuid());
            }
            if (params.mapped()) {
                return;
            }
        }
        current.access().run("MAPPED flag", disk -> {
            disk.persistMapped(poolUuid);
            return null;
        });
        current.unmapGuard().mapped();
        Logger.info("pool {}: store mapped, pool UUID {}", name, poolUuid);
    }

    /** Undoes a first map that did not reach every leg, if this store has taken nothing since. */
    void unmap(UUID poolUuid) throws RequestException {
        Registration current = requireStore();
        current.access().requireHealthy();
        StoreParams params = current.access().params();
        String store = "the store of pool " + name + " on member " + memberId;
        if (!params.mapped()) {
            throw new RequestException(Status.REFUSED, store + " is not mapped");
        }
        if (!poolUuid.equals(params.poolUuid())) {
            throw new RequestException(Status.REFUSED, store + " is mapped with pool UUID " + params.poolUuid()
                    + ", not " + poolUuid);
        }
        String whyNot = current.unmapGuard().whyNot();
        if (whyNot != null) {
            throw new RequestException(Status.REFUSED, store + " stays mapped: " + whyNot);
        }
        current.access().run("MAPPED flag", disk -> {
            disk.persistUnmapped();
            return null;
        });
        current.unmapGuard().unmapped();
        Logger.info("pool {}: store unmapped (first map with pool UUID {} undone)", name, poolUuid);
    }

    Message.Maps maps() throws RequestException {
        return requireStore().maps().toMessage();
    }

    /**
     * The client's map update: the maps of other members are replaced by the client's (gathered from a
     * leg in service); this member's own map only gains bits, since what it lacks it still lacks.
     */
    void mapUpdate(Message.Maps update) throws RequestException {
        Registration current = requireStore();
        current.access().requireHealthy();
        long chunkCount = current.maps().chunkCount();
        if (update.chunkCount() != chunkCount) {
            throw new RequestException(Status.INVALID, "map update for " + update.chunkCount()
                    + " chunks, the store of pool " + name + " has " + chunkCount);
        }
        int changed = current.maps().assign(ofMembers(current, update));
        Logger.info("pool {}: map update applied ({} maps changed)", name, changed);
    }

    /**
     * The update without the clean maps of members outside the recorded member list (they would add a
     * member and change nothing); a map that marks chunks dirty for such a member is refused.
     */
    private Message.Maps ofMembers(Registration current, Message.Maps update) throws RequestException {
        Set<Integer> members = enforcedMembers(current);
        if (members == null) {
            return update;
        }
        List<Message.MemberMap> kept = new ArrayList<>();
        for (Message.MemberMap map : update.maps()) {
            if (members.contains(map.member())) {
                kept.add(map);
            } else if (!LongStream.of(map.words()).allMatch(word -> word == 0)) {
                throw new RequestException(Status.REFUSED, "map update: member " + map.member() + " is not a member "
                        + "of pool " + name + " (members " + members + ")");
            }
        }
        return new Message.Maps(update.chunkCount(), kept);
    }

    /** Reads into a buffer of {@code buffers} (the caller owns it) and returns it. */
    MemorySegment read(long offset, int length, IntFunction<MemorySegment> buffers) throws RequestException {
        return ioStats.time(IoOp.READ, length, () -> requireServing().io().read(offset, length, buffers));
    }

    /**
     * A write. Before its data lands its chunks are durably active, and the legs not in service
     * ({@code missingMembers}) are durably marked dirty for them and out of service.
     */
    void write(long offset, MemorySegment data, List<Integer> missingMembers) throws RequestException {
        modify(offset, Math.toIntExact(data.byteSize()), missingMembers, io -> io.write(offset, data));
    }

    /** A trim: recorded like a write of zeroes (active chunks, missing members), then discarded on the store. */
    void trim(long offset, int length, List<Integer> missingMembers) throws RequestException {
        modify(offset, length, missingMembers, io -> io.trim(offset, length));
    }

    /** What a write or trim does to the store once its chunks are recorded. */
    @FunctionalInterface
    private interface Modification {
        void apply(PoolIo io) throws RequestException;
    }

    private void modify(long offset, int length, List<Integer> missingMembers, Modification modification)
            throws RequestException {
        ioStats.time(IoOp.WRITE, length, () -> {
            Registration current = requireServing();
            current.unmapGuard().changed();
            current.io().checkRange(offset, length);
            long first = offset / chunkSize;
            long last = (offset + length - 1) / chunkSize;
            current.active().activate(first, last);
            if (!missingMembers.isEmpty()) {
                current.maps().mark(missingMembers, first, last);
                current.service().missed(missingMembers);
            }
            modification.apply(current.io());
            return null;
        });
    }

    /** Range-checked first, then written in pieces of one shared zero buffer, so that a long range costs no memory. */
    void writeZeroes(long offset, int length, List<Integer> missingMembers) throws RequestException {
        requireServing().io().checkRange(offset, length);
        long piece = PoolIo.ZEROES.byteSize();
        for (long done = 0; done < length; done += piece) {
            write(offset + done, PoolIo.ZEROES.asSlice(0, Math.min(piece, length - done)), missingMembers);
        }
    }

    /** A peer reports that members lack chunks: remember it durably; who is in service does not change. */
    void markDirty(List<Integer> members, long firstChunk, long lastChunk) throws RequestException {
        markDirty(requireStore(), members, firstChunk, lastChunk);
    }

    private static void markDirty(Registration current, List<Integer> members, long firstChunk, long lastChunk)
            throws RequestException {
        current.unmapGuard().changed();
        current.access().requireHealthy();
        current.maps().mark(members, firstChunk, lastChunk);
    }

    /**
     * The compute client: members missed a write. Remembers durably that their chunks are stale and
     * that those of them in service left it (at the next map version), before it returns.
     */
    void markMissed(List<Integer> members, long firstChunk, long lastChunk) throws RequestException {
        Registration current = requireStore();
        requireMembers(current, members, "MarkDirty");
        markDirty(current, members, firstChunk, lastChunk);
        current.service().missed(members);
    }

    /** Recovery: what this store has persisted of the pool's history. */
    Message.RecoveryState recovery() throws RequestException {
        Registration current = requireStore();
        current.access().requireHealthy();
        ServiceRecord.State service = current.service().state();
        return new Message.RecoveryState(current.writer().epoch(), service.version(), service.members(),
                current.active().chunks());
    }

    /** For status: the chunks this store may hold without every leg having them; 0 without a store. */
    public int activeChunkCount() {
        Registration current;
        synchronized (this) {
            current = registration;
        }
        return current == null ? 0 : current.active().chunks().length;
    }

    /** {@code InService}: the client's record of the members in service from {@code version} on. */
    void inService(long version, List<Integer> members) throws RequestException {
        Registration current = requireStore();
        current.access().requireHealthy();
        current.service().set(version, members);
    }

    /** {@code ActivityResolved}: the client resolved every active chunk; the cold ones are forgotten durably. */
    void activityResolved() throws RequestException {
        Registration current = requireStore();
        current.access().requireHealthy();
        long cleared = current.active().resolve();
        if (cleared > 0) {
            Logger.debug("pool {}: {} active chunk(s) not written since the last resolve are forgotten", name, cleared);
        }
    }

    void flush() throws RequestException {
        ioStats.time(IoOp.FLUSH, 0, () -> {
            requireServing().io().flush();
            return null;
        });
    }

    /** Sync: a whole chunk for a peer that lacks it; only a chunk this member holds clean is given out. */
    MemorySegment readChunk(long chunk, IntFunction<MemorySegment> buffers) throws RequestException {
        return requireStore().io().readChunk(chunk, buffers);
    }

    /** Sync: adjacent chunks for a peer that lacks them, read with one IO; all of them must be clean here. */
    MemorySegment readChunks(long first, int count, IntFunction<MemorySegment> buffers) throws RequestException {
        return requireStore().io().readChunks(first, count, buffers);
    }

    /**
     * Verify: the CRC32C of a chunk as this member holds it, computed under the chunk's exclusive lock;
     * refused with DIRTY when this member lacks the chunk.
     */
    public int chunkChecksum(long chunk) throws RequestException {
        return requireStore().io().chunkChecksum(chunk);
    }

    /** Sync: a peer now holds these chunks, so this node's map of that peer drops them. */
    void chunksClean(int member, long[] chunks) throws RequestException {
        if (member == memberId) {
            throw new RequestException(Status.REFUSED, "ChunksClean about member " + memberId + " refused: only this "
                    + "node knows what it holds");
        }
        Registration current = requireStore();
        current.access().requireHealthy();
        if (chunks.length > 0) {
            current.maps().clear(member, chunks);
        }
    }

    private Registration requireStore() throws RequestException {
        Registration current = registration;
        if (current == null) {
            throw new RequestException(Status.NOT_READY, "pool " + name + " on member " + memberId + " has no store");
        }
        return current;
    }

    /** A store that may serve client IO: healthy, pool NORMAL, store MAPPED; checked without the lock (per IO). */
    private Registration requireServing() throws RequestException {
        Registration current = requireStore();
        current.access().requireHealthy();
        PoolState now = state;
        if (now != PoolState.NORMAL) {
            throw new RequestException(Status.NOT_READY, "pool " + name + " on member " + memberId + " is " + now);
        }
        if (!current.access().params().mapped()) {
            throw new RequestException(Status.NOT_READY, "the store of pool " + name + " on member " + memberId
                    + " is not mapped yet");
        }
        return current;
    }

    public List<DirtyMap> dirtyMaps() {
        return registered().map(r -> r.maps().all()).orElse(List.of());
    }

    public String mapSummary() {
        return registered().map(r -> r.maps().summary()).orElse("");
    }

    public String mapBits() {
        return registered().map(r -> r.maps().bits()).orElse(MapSummary.bits(List.of()));
    }

    private Optional<Registration> registered() {
        return Optional.ofNullable(registration);
    }
}
