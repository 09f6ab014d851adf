package brmr.rmr.server;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.RmrAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.LongStream;
import org.tinylog.Logger;

/** The server pools this storage node has joined; also the adapter through which brmr-server reaches them. */
public final class ServerPools implements RmrAdapter {
    private final Map<String, ServerPool> pools = new TreeMap<>();
    private final SyncSettings syncSettings;

    public ServerPools() {
        this(SyncSettings.DEFAULT);
    }

    public ServerPools(SyncSettings syncSettings) {
        this.syncSettings = syncSettings;
    }

    public synchronized ServerPool join(String name, int memberId, int chunkSize) throws PoolException {
        if (pools.containsKey(name)) {
            throw new PoolException("poolname", "pool " + name + " is already joined (member "
                    + pools.get(name).memberId() + ")");
        }
        ServerPool pool = new ServerPool(name, memberId, chunkSize, syncSettings);
        pools.put(name, pool);
        Logger.info("pool {}: joined as member {} with chunk size {}", name, memberId, chunkSize);
        return pool;
    }

    public synchronized void leave(String name) throws PoolException {
        ServerPool pool = get(name);
        if (pool.store().isPresent()) {
            throw new PoolException("leave_pool", "pool " + name + " has a store ("
                    + pool.store().get().deviceName() + "); remove or delete it first");
        }
        pools.remove(name);
        Logger.info("pool {}: left", name);
    }

    public synchronized Optional<ServerPool> find(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    public synchronized ServerPool get(String name) throws PoolException {
        ServerPool pool = pools.get(name);
        if (pool == null) {
            throw new PoolException("pool", name + " is not joined on this node (write rmr-server/ctl/join_pool first)");
        }
        return pool;
    }

    public synchronized List<ServerPool> all() {
        return new ArrayList<>(pools.values());
    }

    @Override
    public int chunkSize(String pool) throws PoolException {
        return get(pool).chunkSize();
    }

    @Override
    public int memberId(String pool) throws PoolException {
        return get(pool).memberId();
    }

    @Override
    public void register(String pool, PoolStore store, RegisterMode mode) throws PoolException {
        get(pool).register(store, mode);
    }

    @Override
    public void unregister(String pool) throws PoolException {
        get(pool).unregister();
    }

    @Override
    public void discard(String pool, LongStream chunks) throws PoolException {
        get(pool).discard(chunks);
    }
}
