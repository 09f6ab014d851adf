package brmr.rmr.server;

import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.protocol.Message.JoinMode;
import java.util.UUID;

/** Brings a server pool with a store to NORMAL and MAPPED, as a compute client's create and first map do. */
final class ServingPools {
    static final UUID POOL_UUID = UUID.fromString("11111111-2222-4333-8444-555555555555");

    private ServingPools() {
    }

    /** Joins pool p1 as member 1, registers {@code store} (create mode), joins {@code client}, enables and maps. */
    static ServerPool serving(ServerPools pools, PoolStore store, SessionLink client) throws Exception {
        ServerPool pool = pools.join("p1", 1, store.params().chunkSize());
        pools.register("p1", store, RegisterMode.CREATE);
        pool.joinCompute(client, JoinMode.CREATE, store.params().chunkSize());
        pool.enable(client);
        pool.markMapped(POOL_UUID);
        return pool;
    }
}
