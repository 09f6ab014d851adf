package brmr.rmr.server;

import brmr.rmr.adapter.PoolException;
import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.tinylog.Logger;

/** The server side of one pool on a storage node: its state, its registered store and its dirty maps. */
public final class ServerPool {
    private final String name;
    private final int memberId;
    private final int chunkSize;
    private final Map<Integer, DirtyMap> dirtyMaps = new TreeMap<>();
    private final Map<Integer, Object> persistLocks = new TreeMap<>();
    private PoolState state = PoolState.EMPTY;
    private PoolStore store;
    private RegisterMode registerMode;

    ServerPool(String name, int memberId, int chunkSize) {
        this.name = name;
        this.memberId = memberId;
        this.chunkSize = chunkSize;
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
        Logger.info("pool {}: store {} registered ({} mode)", name, newStore.deviceName(), mode);
    }

    synchronized void unregister() throws PoolException {
        if (store == null) {
            throw new PoolException("pool", name + " has no store");
        }
        Logger.info("pool {}: store {} unregistered", name, store.deviceName());
        store = null;
        registerMode = null;
        dirtyMaps.clear();
        state = PoolState.EMPTY;
    }

    /** Marks chunks dirty for this member, then persists the affected range in one write. */
    void discard(LongStream chunks) throws PoolException {
        PoolStore target;
        DirtyMap own;
        synchronized (this) {
            target = requireStore();
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
            persist(target, own, range[0], range[1] + 1);
        }
    }

    private void persist(PoolStore target, DirtyMap map, long from, long to) throws PoolException {
        Object lock;
        synchronized (this) {
            lock = persistLocks.computeIfAbsent(map.memberId(), m -> new Object());
        }
        synchronized (lock) {
            try {
                target.persistDirty(map.memberId(), map.words(), from, to);
            } catch (IOException e) {
                throw new PoolException("device", "cannot persist the dirty map of member " + map.memberId()
                        + " on " + target.deviceName() + ": " + e.getMessage(), e);
            }
        }
    }

    private PoolStore requireStore() throws PoolException {
        if (store == null) {
            throw new PoolException("pool", name + " has no store");
        }
        return store;
    }

    public synchronized List<DirtyMap> dirtyMaps() {
        return new ArrayList<>(dirtyMaps.values());
    }

    public synchronized String mapSummary() {
        return MapSummary.format(dirtyMaps.values());
    }
}
