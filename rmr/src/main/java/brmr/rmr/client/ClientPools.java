package brmr.rmr.client;

import brmr.rmr.PoolException;
import brmr.rmr.SessionSecret;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.tinylog.Logger;

/** The pools a compute client has joined. */
public final class ClientPools implements AutoCloseable {
    private final Map<String, ClientPool> pools = new TreeMap<>();
    private final LegConnector connector;
    private final PeerTimeout defaultTimeout;
    private final ClientWriter writer;

    /**
     * Pools whose legs run over TCP, each starting with a copy of the daemon's {@code --peer-timeout};
     * {@code clientId} is this client's persisted identity.
     */
    public ClientPools(PeerTimeout defaultTimeout, UUID clientId) {
        this(LegConnector.TCP, defaultTimeout, clientId);
    }

    /** As {@link #ClientPools(PeerTimeout, UUID)}; with a {@code secret} (may be null) every leg authenticates. */
    public ClientPools(SessionSecret secret, PeerTimeout defaultTimeout, UUID clientId) {
        this(LegConnector.tcp(secret), defaultTimeout, clientId);
    }

    public ClientPools(LegConnector connector, PeerTimeout defaultTimeout, UUID clientId) {
        this.connector = connector;
        this.defaultTimeout = defaultTimeout;
        this.writer = new ClientWriter(clientId);
    }

    /** This client's identity and writer epoch. */
    public ClientWriter writer() {
        return writer;
    }

    public synchronized ClientPool join(String name, int chunkSize) throws PoolException {
        if (pools.containsKey(name)) {
            throw new PoolException("poolname", "pool " + name + " is already joined");
        }
        ClientPool pool = new ClientPool(name, chunkSize, connector, defaultTimeout.copy(), writer);
        pools.put(name, pool);
        Logger.info("client pool {}: joined with chunk size {}", name, chunkSize);
        return pool;
    }

    public synchronized void leave(String name) throws PoolException {
        ClientPool pool = get(name);
        if (!pool.legs().isEmpty()) {
            throw new PoolException("leave_pool", "pool " + name + " still has sessions; del_sess them first");
        }
        pools.remove(name);
        Logger.info("client pool {}: left", name);
    }

    public synchronized ClientPool get(String name) throws PoolException {
        ClientPool pool = pools.get(name);
        if (pool == null) {
            throw new PoolException("pool", name + " is not joined on this client (write rmr-client/ctl/join_pool "
                    + "first)");
        }
        return pool;
    }

    public synchronized List<ClientPool> all() {
        return new ArrayList<>(pools.values());
    }

    @Override
    public synchronized void close() {
        pools.values().forEach(ClientPool::close);
    }
}
