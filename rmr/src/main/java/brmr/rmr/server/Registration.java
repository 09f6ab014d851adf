package brmr.rmr.server;

import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.map.DirtyMap;
import java.io.IOException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A store registered with a pool and what the pool keeps for it until it is unregistered: the
 * gated access to its disk, the dirty maps it persists, its IO path, its sync thread, whether its
 * first map may still be undone, its writer, in-service record and active chunks. A new
 * registration starts from scratch (no failure, no IO).
 */
record Registration(RegisterMode mode, StoreAccess access, DirtyMaps maps, PoolIo io, SyncThread sync,
        UnmapGuard unmapGuard, PoolWriter writer, ServiceRecord service, ActiveChunks active) {

    /**
     * What a registration needs of its pool.
     *
     * @param peers the sync sessions to the pool's peers, as linked at each call
     * @param onFailure told of the first failed call on a store
     * @param whyNotSyncing null when the store may sync now, else why not
     */
    record Pool(String name, int memberId, int chunkSize, Supplier<PeerLink> peers, Consumer<StoreAccess> onFailure,
            Function<StoreAccess, String> whyNotSyncing) {
    }

    /** Registers {@code store}: loads the dirty maps and the active chunks persisted on it. */
    static Registration open(Pool pool, PoolStore store, RegisterMode mode, SyncSettings settings) throws IOException {
        StoreAccess access = new StoreAccess(pool.name(), pool.memberId(), store, pool.onFailure());
        DirtyMaps maps = new DirtyMaps(pool.memberId(), access);
        Supplier<PeerLink> peers = pool.peers();
        PoolIo io = new PoolIo(pool.name(), pool.memberId(), pool.chunkSize(), access, maps, peers);
        SyncThread sync = new SyncThread(new SyncThread.Pool() {
            @Override
            public String name() {
                return pool.name();
            }

            @Override
            public int chunkSize() {
                return pool.chunkSize();
            }

            @Override
            public String whyNotSyncing() {
                return pool.whyNotSyncing().apply(access);
            }

            @Override
            public DirtyMap ownMap() {
                return maps.own();
            }

            @Override
            public ChunkSync chunkSync() {
                return io.chunkSync();
            }

            @Override
            public ChunkSource peers() {
                return peers.get();
            }
        }, settings);
        String where = "pool " + pool.name() + " on member " + pool.memberId();
        PoolWriter writer = new PoolWriter(where, store.writerEpoch(), store.writerClient());
        return new Registration(mode, access, maps, io, sync, new UnmapGuard(), writer,
                new ServiceRecord(pool.name(), where, access), new ActiveChunks(access));
    }
}
