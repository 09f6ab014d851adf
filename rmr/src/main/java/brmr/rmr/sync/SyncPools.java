package brmr.rmr.sync;

import brmr.rmr.PoolException;
import brmr.rmr.SessionSecret;
import brmr.rmr.client.LegConnector;
import brmr.rmr.client.PeerTimeout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.tinylog.Logger;

/** The sync pools of a storage node. */
public final class SyncPools implements AutoCloseable {
    private final Map<String, SyncPool> pools = new TreeMap<>();
    private final LegConnector connector;
    private final PeerTimeout defaultTimeout;

    /** Sync pools over TCP, each starting with a copy of the daemon's {@code --peer-timeout}. */
    public SyncPools(PeerTimeout defaultTimeout) {
        this(LegConnector.TCP, defaultTimeout);
    }

    /** As {@link #SyncPools(PeerTimeout)}; with a {@code secret} (may be null) every sync session authenticates. */
    public SyncPools(SessionSecret secret, PeerTimeout defaultTimeout) {
        this(LegConnector.tcp(secret), defaultTimeout);
    }

    public SyncPools(LegConnector connector, PeerTimeout defaultTimeout) {
        this.connector = connector;
        this.defaultTimeout = defaultTimeout;
    }

    public synchronized SyncPool join(String name, int memberId, int chunkSize) throws PoolException {
        if (pools.containsKey(name)) {
            throw new PoolException("poolname", "sync pool " + name + " is already joined");
        }
        SyncPool pool = new SyncPool(name, memberId, chunkSize, connector, defaultTimeout.copy());
        pools.put(name, pool);
        Logger.info("sync pool {}: joined as member {} with chunk size {}", name, memberId, chunkSize);
        return pool;
    }

    public synchronized void leave(String name) throws PoolException {
        SyncPool pool = get(name);
        if (!pool.sessions().isEmpty()) {
            throw new PoolException("leave_pool", "sync pool " + name + " still has sessions; del_sess them first");
        }
        pools.remove(name);
    }

    public synchronized SyncPool get(String name) throws PoolException {
        SyncPool pool = pools.get(name);
        if (pool == null) {
            throw new PoolException("pool", "sync pool " + name + " is not joined on this node (write "
                    + "rmr-client/ctl/join_pool with sync=y first)");
        }
        return pool;
    }

    public synchronized Optional<SyncPool> find(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    public synchronized List<SyncPool> all() {
        return new ArrayList<>(pools.values());
    }

    @Override
    public synchronized void close() {
        pools.values().forEach(SyncPool::close);
    }
}
