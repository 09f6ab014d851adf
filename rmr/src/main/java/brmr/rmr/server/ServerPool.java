package brmr.rmr.server;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Status;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.LongStream;
import java.util.zip.CRC32C;
import org.tinylog.Logger;

/**
 * The server side of one pool on a storage node: its state, its registered store, the dirty maps of
 * every member, the compute client's session, and the IO it serves.
 */
public final class ServerPool {
    private final String name;
    private final int memberId;
    private final int chunkSize;
    private final Map<Integer, DirtyMap> dirtyMaps = new TreeMap<>();
    private final Map<Integer, Object> persistLocks = new TreeMap<>();
    private final Map<String, SessionLink> computeSessions = new TreeMap<>();
    private final ChunkSync chunkSync = new ChunkSync(new ChunkSync.Target() {
        @Override
        public boolean isDirty(long chunk) {
            return ownMap().map(map -> map.isDirty(chunk)).orElse(false);
        }

        @Override
        public void install(long chunk, byte[] data) throws IOException {
            installChunk(chunk, data);
        }

        @Override
        public void commit(List<Long> chunks) throws IOException {
            commitChunks(chunks);
        }
    });
    private volatile PeerLink peers = PeerLink.NONE;
    private final SyncSettings syncSettings;
    private SyncThread sync;
    private PoolState state = PoolState.EMPTY;
    private PoolStore store;
    private RegisterMode registerMode;

    ServerPool(String name, int memberId, int chunkSize, SyncSettings syncSettings) {
        this.name = name;
        this.memberId = memberId;
        this.chunkSize = chunkSize;
        this.syncSettings = syncSettings;
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

    public synchronized PoolState state() {
        return state;
    }

    public synchronized Optional<PoolStore> store() {
        return Optional.ofNullable(store);
    }

    public synchronized Optional<RegisterMode> registerMode() {
        return Optional.ofNullable(registerMode);
    }

    /** The sync sessions to this pool's peers: where missing chunks come from, and who hears of progress. */
    public void link(PeerLink link) {
        this.peers = link;
    }

    public boolean linked() {
        return peers != PeerLink.NONE;
    }

    // ---- store registration (brmr-server, through the RMR adapter) ----

    synchronized void register(PoolStore newStore, RegisterMode mode) throws PoolException {
        if (store != null) {
            throw new PoolException("pool", name + " already has a store (" + store.deviceName() + ")");
        }
        StoreParams params = newStore.params();
        if (params.chunkSize() != chunkSize) {
            throw new PoolException("chunk_size", "the store uses " + params.chunkSize() + ", pool " + name
                    + " was joined with " + chunkSize);
        }
        Map<Integer, DirtyMap> loaded = new TreeMap<>();
        loaded.put(memberId, new DirtyMap(memberId, params.chunkCount()));
        if (mode != RegisterMode.REPLACE) {
            try {
                for (int member : newStore.persistedMembers()) {
                    loaded.put(member, new DirtyMap(member, params.chunkCount(), newStore.loadDirty(member)));
                }
            } catch (IOException e) {
                throw new PoolException("device", "cannot read the dirty maps of " + newStore.deviceName() + ": "
                        + e.getMessage(), e);
            }
        }
        dirtyMaps.clear();
        dirtyMaps.putAll(loaded);
        store = newStore;
        registerMode = mode;
        state = PoolState.REGISTERED;
        sync = new SyncThread(syncView(loaded.get(memberId)), syncSettings);
        Logger.info("pool {}: store {} registered ({} mode)", name, newStore.deviceName(), mode);
    }

    /** Takes the store away; the compute client's session is ended, so it reconnects and waits for a new store. */
    void unregister() throws PoolException {
        List<SessionLink> ended;
        SyncThread running;
        synchronized (this) {
            running = sync;
        }
        if (running != null) {
            running.stop();
        }
        verify.stop("the store of pool " + name + " is being removed");
        synchronized (this) {
            if (store == null) {
                throw new PoolException("pool", name + " has no store");
            }
            sync = null;
            Logger.info("pool {}: store {} unregistered", name, store.deviceName());
            store = null;
            registerMode = null;
            dirtyMaps.clear();
            state = PoolState.EMPTY;
            ended = new ArrayList<>(computeSessions.values());
            computeSessions.clear();
        }
        ended.forEach(SessionLink::close);
    }

    /** Marks chunks dirty for this member, then persists the affected range in one write. */
    void discard(LongStream chunks) throws PoolException {
        PoolStore target;
        DirtyMap own;
        synchronized (this) {
            if (store == null) {
                throw new PoolException("pool", name + " has no store");
            }
            target = store;
            own = dirtyMaps.get(memberId);
        }
        long[] range = {Long.MAX_VALUE, -1};
        try {
            chunks.forEach(chunk -> {
                own.mark(chunk);
                range[0] = Math.min(range[0], chunk);
                range[1] = Math.max(range[1], chunk);
            });
        } catch (IndexOutOfBoundsException e) {
            throw new PoolException("chunks", e.getMessage());
        }
        if (range[1] >= 0) {
            try {
                persist(target, own, range[0], range[1] + 1);
            } catch (IOException e) {
                throw new PoolException("device", e.getMessage(), e);
            }
            peers.lacking(range[0], range[1]);
        }
    }

    // ---- sync ----

    private SyncThread.Pool syncView(DirtyMap own) {
        return new SyncThread.Pool() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public int chunkSize() {
                return chunkSize;
            }

            @Override
            public String whyNotSyncing() {
                synchronized (ServerPool.this) {
                    if (store == null) {
                        return "pool " + name + " has no store";
                    }
                    return state == PoolState.NORMAL ? null
                            : "pool " + name + " is " + state + "; sync runs only in NORMAL";
                }
            }

            @Override
            public DirtyMap ownMap() {
                return own;
            }

            @Override
            public ChunkSync chunkSync() {
                return chunkSync;
            }

            @Override
            public ChunkSource peers() {
                return peers;
            }
        };
    }

    /** {@code sync start}: fetches every chunk this member lacks from its peers. */
    public void startSync() throws RequestException {
        requireSync().start();
    }

    /** {@code sync stop}: stops after the chunks in flight. */
    public void stopSync() throws RequestException {
        requireSync().stop();
    }

    public Optional<SyncProgress> syncProgress() {
        SyncThread current;
        synchronized (this) {
            current = sync;
        }
        return current == null ? Optional.empty() : Optional.of(current.progress());
    }

    private synchronized SyncThread requireSync() throws RequestException {
        if (sync == null) {
            throw new RequestException(Status.NOT_READY, "pool " + name + " has no store to sync");
        }
        return sync;
    }

    // ---- online verify (issue 7 item 5): the hooks of VerifyThread and ServerSession ----

    private final VerifyThread verify = new VerifyThread(new PoolVerifyView(this));

    /** The pool's online verify ({@code rmr-server/pools/<p>/verify}). */
    public VerifyThread verify() {
        return verify;
    }

    /** The CRC32C of a chunk as this member holds it clean; refused with DIRTY when it lacks the chunk. */
    int chunkChecksum(long chunk) throws RequestException {
        CRC32C crc = new CRC32C();
        crc.update(readChunk(chunk));
        return (int) crc.getValue();
    }

    boolean isDirtyHere(long chunk) {
        return ownMap().map(map -> map.isDirty(chunk)).orElse(true);
    }

    PeerLink peerLink() {
        return peers;
    }

    SyncSettings syncSettings() {
        return syncSettings;
    }

    // ---- sessions ----

    synchronized Message.HelloOk joinCompute(SessionLink link, Message.JoinMode mode, int clientChunkSize)
            throws RequestException {
        if (store == null) {
            throw new RequestException(Status.REFUSED, "pool " + name + " on member " + memberId
                    + " has no store; no session may join an EMPTY pool");
        }
        if (clientChunkSize != chunkSize) {
            throw new RequestException(Status.REFUSED, "chunk_size: the client uses " + clientChunkSize + ", pool "
                    + name + " on member " + memberId + " uses " + chunkSize);
        }
        boolean mapped = store.params().mapped();
        if (mode == Message.JoinMode.CREATE && mapped) {
            throw new RequestException(Status.REFUSED, "the store of pool " + name + " on member " + memberId
                    + " is mapped; join with mode=assemble");
        }
        if (mode == Message.JoinMode.ASSEMBLE && registerMode == RegisterMode.CREATE && !mapped) {
            throw new RequestException(Status.REFUSED, "the store of pool " + name + " on member " + memberId
                    + " was just created; join with mode=create");
        }
        SessionLink stale = null;
        for (SessionLink other : computeSessions.values()) {
            if (!other.name().equals(link.name())) {
                throw new RequestException(Status.REFUSED, "pool " + name + " on member " + memberId
                        + " already serves compute session " + other.name());
            }
            stale = other;
        }
        computeSessions.put(link.name(), link);
        state = mode == Message.JoinMode.CREATE ? PoolState.CREATED : PoolState.NO_IO;
        Logger.info("pool {}: compute session {} joined ({}), state {}", name, link.name(), mode, state);
        if (stale != null && stale != link) {
            stale.close();
        }
        return new Message.HelloOk(memberId, state.name(), store.params());
    }

    synchronized void enable(SessionLink link) throws RequestException {
        if (computeSessions.get(link.name()) != link) {
            throw new RequestException(Status.REFUSED, "session " + link.name() + " has not joined pool " + name);
        }
        switch (state) {
            case CREATED, NO_IO, NORMAL -> state = PoolState.NORMAL;
            default -> throw new RequestException(Status.REFUSED, "pool " + name + " is " + state
                    + "; only a CREATED or NO_IO pool can be enabled");
        }
        Logger.info("pool {}: enabled by {}, state NORMAL", name, link.name());
    }

    /** A compute session left or broke: without a client the pool serves no IO. */
    synchronized void computeSessionEnded(SessionLink link) {
        if (computeSessions.get(link.name()) != link) {
            return;
        }
        computeSessions.remove(link.name());
        if (computeSessions.isEmpty()) {
            state = store != null ? PoolState.NO_IO : PoolState.EMPTY;
            Logger.info("pool {}: compute session {} ended, state {}", name, link.name(), state);
        }
    }

    /** A peer storage node opens a sync session: no state change, it reads chunks and parameters. */
    synchronized Message.HelloOk joinSync(int peerMember, int peerChunkSize) throws RequestException {
        if (peerChunkSize != chunkSize) {
            throw new RequestException(Status.REFUSED, "chunk_size: member " + peerMember + " uses " + peerChunkSize
                    + ", pool " + name + " on member " + memberId + " uses " + chunkSize);
        }
        return new Message.HelloOk(memberId, state.name(), store == null ? null : store.params());
    }

    // ---- requests ----

    public synchronized Optional<StoreParams> params() {
        return store == null ? Optional.empty() : Optional.of(store.params());
    }

    void markMapped(UUID poolUuid) throws RequestException {
        PoolStore target;
        synchronized (this) {
            target = requireStore();
            if (state != PoolState.NORMAL) {
                throw new RequestException(Status.NOT_READY, "pool " + name + " on member " + memberId + " is "
                        + state + "; a map needs NORMAL");
            }
            StoreParams params = target.params();
            if (params.mapped() && !poolUuid.equals(params.poolUuid())) {
                throw new RequestException(Status.REFUSED, "the store of pool " + name + " on member " + memberId
                        + " is already mapped with pool UUID " + params.poolUuid());
            }
            if (params.mapped()) {
                return;
            }
        }
        try {
            target.persistMapped(poolUuid);
        } catch (IOException e) {
            throw new RequestException(Status.IO_ERROR, "cannot record MAPPED on " + target.deviceName() + ": "
                    + e.getMessage(), e);
        }
        Logger.info("pool {}: store mapped, pool UUID {}", name, poolUuid);
    }

    synchronized Message.Maps maps() throws RequestException {
        PoolStore target = requireStore();
        List<Message.MemberMap> maps = new ArrayList<>();
        for (DirtyMap map : dirtyMaps.values()) {
            maps.add(new Message.MemberMap(map.memberId(), map.words()));
        }
        return new Message.Maps(target.params().chunkCount(), maps);
    }

    /**
     * The client's map update: the maps of other members are replaced by the client's (gathered from a
     * leg in service); this member's own map only gains bits, since what it lacks it still lacks.
     */
    void mapUpdate(Message.Maps update) throws RequestException {
        PoolStore target;
        List<DirtyMap> changed = new ArrayList<>();
        synchronized (this) {
            target = requireStore();
            long chunkCount = target.params().chunkCount();
            if (update.chunkCount() != chunkCount) {
                throw new RequestException(Status.INVALID, "map update for " + update.chunkCount()
                        + " chunks, the store of pool " + name + " has " + chunkCount);
            }
            Map<Integer, long[]> given = new TreeMap<>();
            for (Message.MemberMap map : update.maps()) {
                given.put(map.member(), map.words());
                mapFor(target, map.member());
            }
            for (DirtyMap map : dirtyMaps.values()) {
                long[] words = given.getOrDefault(map.memberId(), new long[0]);
                if (map.assign(words, map.memberId() == memberId)) {
                    changed.add(map);
                }
            }
        }
        try {
            for (DirtyMap map : changed) {
                persist(target, map, 0, map.chunkCount());
            }
        } catch (IOException e) {
            throw new RequestException(Status.IO_ERROR, e.getMessage(), e);
        }
        Logger.info("pool {}: map update applied ({} maps changed)", name, changed.size());
    }

    byte[] read(long offset, int length) throws RequestException {
        PoolStore target = requireServing();
        checkRange(target, offset, length);
        ensureClean(offset, length);
        try {
            return readStore(target, offset, length);
        } catch (IOException e) {
            throw new RequestException(Status.IO_ERROR, e.getMessage(), e);
        }
    }

    void write(long offset, byte[] data, List<Integer> missingMembers) throws RequestException {
        PoolStore target = requireServing();
        checkRange(target, offset, data.length);
        markDirty(target, missingMembers, offset / chunkSize, (offset + data.length - 1) / chunkSize);
        ensureClean(offset, data.length);
        try {
            writeStore(target, offset, data);
        } catch (IOException e) {
            throw new RequestException(Status.IO_ERROR, e.getMessage(), e);
        }
    }

    void writeZeroes(long offset, int length, List<Integer> missingMembers) throws RequestException {
        write(offset, new byte[length], missingMembers);
    }

    /** A leg missed a write: remember, durably, that its chunks are stale. */
    void markDirty(List<Integer> members, long firstChunk, long lastChunk) throws RequestException {
        PoolStore target = requireStore();
        long chunkCount = target.params().chunkCount();
        if (firstChunk < 0 || lastChunk < firstChunk || lastChunk >= chunkCount) {
            throw new RequestException(Status.INVALID, "chunks " + firstChunk + ".." + lastChunk
                    + " lie outside 0.." + (chunkCount - 1));
        }
        markDirty(target, members, firstChunk, lastChunk);
    }

    private void markDirty(PoolStore target, List<Integer> members, long firstChunk, long lastChunk)
            throws RequestException {
        for (int member : members) {
            DirtyMap map = mapFor(target, member);
            boolean changed = false;
            for (long chunk = firstChunk; chunk <= lastChunk; chunk++) {
                changed |= map.mark(chunk);
            }
            if (changed) {
                try {
                    persist(target, map, firstChunk, lastChunk + 1);
                } catch (IOException e) {
                    throw new RequestException(Status.IO_ERROR, e.getMessage(), e);
                }
            }
        }
    }

    void flush() throws RequestException {
        PoolStore target = requireServing();
        try {
            target.flush();
        } catch (IOException e) {
            throw new RequestException(Status.IO_ERROR, e.getMessage(), e);
        }
    }

    /** Sync: a whole chunk for a peer that lacks it; only a chunk this member holds clean is given out. */
    byte[] readChunk(long chunk) throws RequestException {
        PoolStore target = requireStore();
        StoreParams params = target.params();
        if (!params.mapped()) {
            throw new RequestException(Status.NOT_READY, "the store of pool " + name + " on member " + memberId
                    + " is not mapped");
        }
        if (chunk < 0 || chunk >= params.chunkCount()) {
            throw new RequestException(Status.INVALID, "chunk " + chunk + " lies outside 0.."
                    + (params.chunkCount() - 1));
        }
        if (ownMap().map(map -> map.isDirty(chunk)).orElse(true)) {
            throw new RequestException(Status.DIRTY, "chunk " + chunk + " is dirty on member " + memberId);
        }
        long offset = chunk * chunkSize;
        int length = (int) Math.min(chunkSize, params.dataBytes() - offset);
        try {
            return readStore(target, offset, length);
        } catch (IOException e) {
            throw new RequestException(Status.IO_ERROR, e.getMessage(), e);
        }
    }

    /** Sync: a peer now holds these chunks, so this node's map of that peer drops them. */
    void chunksClean(int member, long[] chunks) throws RequestException {
        PoolStore target = requireStore();
        DirtyMap map;
        synchronized (this) {
            map = dirtyMaps.get(member);
        }
        if (map == null || chunks.length == 0) {
            return;
        }
        long first = Long.MAX_VALUE;
        long last = -1;
        try {
            for (long chunk : chunks) {
                if (map.clear(chunk)) {
                    first = Math.min(first, chunk);
                    last = Math.max(last, chunk);
                }
            }
        } catch (IndexOutOfBoundsException e) {
            throw new RequestException(Status.INVALID, e.getMessage());
        }
        if (last >= 0) {
            try {
                persist(target, map, first, last + 1);
            } catch (IOException e) {
                throw new RequestException(Status.IO_ERROR, e.getMessage(), e);
            }
        }
    }

    private void ensureClean(long offset, int length) throws RequestException {
        ChunkSource source = peers;
        for (long chunk = offset / chunkSize; chunk <= (offset + length - 1) / chunkSize; chunk++) {
            try {
                chunkSync.ensureClean(chunk, source);
            } catch (IOException e) {
                throw new RequestException(Status.DIRTY, "chunk " + chunk + " is dirty on member " + memberId
                        + " of pool " + name + " and could not be synced: " + e.getMessage(), e);
            }
        }
    }

    private void installChunk(long chunk, byte[] data) throws IOException {
        PoolStore target = storeForSync(chunk);
        long offset = chunk * chunkSize;
        long length = Math.min(chunkSize, target.params().dataBytes() - offset);
        if (data.length != length) {
            throw new IOException("chunk " + chunk + " arrived with " + data.length + " bytes, expected " + length);
        }
        writeStore(target, offset, data);
    }

    /** Store IO goes through a buffer the store allocates, aligned for direct IO. */
    private static byte[] readStore(PoolStore target, long offset, int length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = target.allocate(arena, length);
            target.read(offset, buffer);
            return buffer.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    private static void writeStore(PoolStore target, long offset, byte[] data) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = target.allocate(arena, data.length);
            MemorySegment.copy(data, 0, buffer, ValueLayout.JAVA_BYTE, 0, data.length);
            target.write(offset, buffer);
        }
    }

    /** The bits are cleared only once the data is durable: a crash before this keeps the chunks dirty. */
    private void commitChunks(List<Long> chunks) throws IOException {
        PoolStore target = storeForSync(chunks.getFirst());
        DirtyMap own;
        synchronized (this) {
            own = dirtyMaps.get(memberId);
        }
        target.flush();
        long first = Long.MAX_VALUE;
        long last = -1;
        for (long chunk : chunks) {
            own.clear(chunk);
            first = Math.min(first, chunk);
            last = Math.max(last, chunk);
        }
        persist(target, own, first, last + 1);
        long[] cleaned = chunks.stream().mapToLong(Long::longValue).toArray();
        peers.cleaned(cleaned);
    }

    private synchronized PoolStore storeForSync(long chunk) throws IOException {
        if (store == null) {
            throw new IOException("pool " + name + " lost its store during the sync of chunk " + chunk);
        }
        return store;
    }

    private synchronized DirtyMap mapFor(PoolStore target, int member) {
        return dirtyMaps.computeIfAbsent(member, m -> new DirtyMap(m, target.params().chunkCount()));
    }

    private synchronized Optional<DirtyMap> ownMap() {
        return Optional.ofNullable(dirtyMaps.get(memberId));
    }

    private void checkRange(PoolStore target, long offset, int length) throws RequestException {
        StoreParams params = target.params();
        if (offset < 0 || length <= 0 || offset + length > params.dataBytes()) {
            throw new RequestException(Status.INVALID, "range " + offset + "+" + length + " lies outside the "
                    + params.dataBytes() + " bytes of pool " + name);
        }
        if (offset % params.sectorSize() != 0 || length % params.sectorSize() != 0) {
            throw new RequestException(Status.INVALID, "range " + offset + "+" + length + " is not aligned to "
                    + params.sectorSize() + "-byte sectors");
        }
    }

    private synchronized PoolStore requireStore() throws RequestException {
        if (store == null) {
            throw new RequestException(Status.NOT_READY, "pool " + name + " on member " + memberId + " has no store");
        }
        return store;
    }

    private synchronized PoolStore requireServing() throws RequestException {
        PoolStore target = requireStore();
        if (state != PoolState.NORMAL) {
            throw new RequestException(Status.NOT_READY, "pool " + name + " on member " + memberId + " is " + state);
        }
        if (!target.params().mapped()) {
            throw new RequestException(Status.NOT_READY, "the store of pool " + name + " on member " + memberId
                    + " is not mapped yet");
        }
        return target;
    }

    private void persist(PoolStore target, DirtyMap map, long from, long to) throws IOException {
        Object lock;
        synchronized (this) {
            lock = persistLocks.computeIfAbsent(map.memberId(), m -> new Object());
        }
        synchronized (lock) {
            try {
                target.persistDirty(map.memberId(), map.words(), from, to);
            } catch (IOException e) {
                throw new IOException("cannot persist the dirty map of member " + map.memberId() + " on "
                        + target.deviceName() + ": " + e.getMessage(), e);
            }
        }
    }

    public synchronized List<DirtyMap> dirtyMaps() {
        return new ArrayList<>(dirtyMaps.values());
    }

    public synchronized String mapSummary() {
        return MapSummary.format(dirtyMaps.values());
    }

    public synchronized String mapBits() {
        return MapSummary.bits(dirtyMaps.values());
    }
}
