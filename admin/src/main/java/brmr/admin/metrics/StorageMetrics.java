package brmr.admin.metrics;

import brmr.admin.store.BrmrStore;
import brmr.admin.store.StoreOperations;
import brmr.rmr.client.Leg;
import brmr.rmr.client.SessionState;
import brmr.rmr.map.DirtyMap;
import brmr.rmr.server.PoolState;
import brmr.rmr.server.ServerPool;
import brmr.rmr.server.ServerPools;
import brmr.rmr.server.SyncProgress;
import brmr.rmr.sync.SyncPool;
import brmr.rmr.sync.SyncPools;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/** A storage node's metrics: per server pool its state, store, dirty chunks, sync, sync sessions and served IO. */
public final class StorageMetrics implements Supplier<String> {
    private static final List<String> POOL_STATES = Arrays.stream(PoolState.values()).map(PoolState::label).toList();
    private static final List<String> SYNC_STATES = Arrays.stream(SyncProgress.State.values())
            .map(s -> s.name().toLowerCase(Locale.ROOT)).toList();
    private static final List<String> SESSION_STATES = Arrays.stream(SessionState.values()).map(SessionState::label)
            .toList();
    private static final List<String> STORE_STATES = List.of("open", "mapped", "failed");

    private final ServerPools pools;
    private final SyncPools syncPools;
    private final StoreOperations stores;

    public StorageMetrics(ServerPools pools, SyncPools syncPools, StoreOperations stores) {
        this.pools = pools;
        this.syncPools = syncPools;
        this.stores = stores;
    }

    @Override
    public String get() {
        Exposition out = new Exposition();
        for (ServerPool pool : pools.all()) {
            String name = pool.name();
            out.gauge("brmr_server_pool_member_id", "This node's member id in the pool.", pool.memberId(), "pool",
                    name);
            out.states("brmr_server_pool_state", "The server pool's state: 1 for the current one.",
                    pool.state().label(), POOL_STATES, "pool", name);
            out.gauge("brmr_server_pool_chunk_size_bytes", "The pool's chunk size.", pool.chunkSize(), "pool", name);
            store(out, pool);
            for (DirtyMap map : pool.dirtyMaps()) {
                String member = String.valueOf(map.memberId());
                out.gauge("brmr_server_pool_dirty_chunks", "Chunks this node records the member as lacking.",
                        map.dirtyCount(), "pool", name, "member", member);
                out.gauge("brmr_server_pool_chunks", "Chunks of the pool's store.", map.chunkCount(), "pool", name,
                        "member", member);
            }
            out.gauge("brmr_server_pool_active_chunks", "Chunks written since the client's last activity resolve.",
                    pool.activeChunkCount(), "pool", name);
            pool.syncProgress().ifPresent(progress -> sync(out, name, progress));
            syncPools.find(name).ifPresent(sync -> syncSessions(out, sync));
            IoMetrics.add(out, "brmr_server", "the pool's compute session", pool.ioStats(), "pool", name);
        }
        return out.render();
    }

    private void store(Exposition out, ServerPool pool) {
        Optional<BrmrStore> store = stores.store(pool.name());
        boolean failed = pool.storeFailure().isPresent();
        for (String state : STORE_STATES) {
            boolean set = switch (state) {
                case "open" -> store.isPresent();
                case "mapped" -> store.map(BrmrStore::isMapped).orElse(false);
                default -> store.isPresent() && failed;
            };
            out.gauge("brmr_server_store_state", "The pool's store: open, mapped (verified by a client map), "
                    + "failed; each 1 when it holds.", set ? 1 : 0, "pool", pool.name(), "state", state);
        }
    }

    private static void sync(Exposition out, String pool, SyncProgress progress) {
        out.states("brmr_server_sync_state", "The pool's sync thread: 1 for its current state.",
                progress.state().name().toLowerCase(Locale.ROOT), SYNC_STATES, "pool", pool);
        out.gauge("brmr_server_sync_synced_chunks", "Chunks the sync thread fetched since it started.",
                progress.synced(), "pool", pool);
        out.gauge("brmr_server_sync_remaining_chunks", "Chunks this member still lacks.", progress.dirty(), "pool",
                pool);
        out.gauge("brmr_server_sync_total_chunks", "Chunks of the pool's store.", progress.total(), "pool", pool);
        out.gauge("brmr_server_sync_progress_ratio", "Share of the chunks lacking at the sync's start that are "
                + "clean now, 0 to 1.", progress.percent() / 100, "pool", pool);
        out.gauge("brmr_server_sync_rate_bytes_per_second", "The sync thread's current rate.",
                progress.mibPerSecond() * 1048576, "pool", pool);
    }

    private static void syncSessions(Exposition out, SyncPool sync) {
        for (Leg leg : sync.sessions()) {
            out.states("brmr_server_sync_session_state", "A sync session to a peer: 1 for its current "
                    + "state.", leg.state().label(), SESSION_STATES, "pool", sync.name(), "session", leg.name());
        }
    }
}
