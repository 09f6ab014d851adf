package brmr.admin.server;

import brmr.admin.client.PeerTimeoutFile;
import brmr.admin.client.SessionPath;
import brmr.admin.control.ControlArgs;
import brmr.admin.control.ControlException;
import brmr.admin.control.ControlTree;
import brmr.admin.daemon.ConfigJournal;
import brmr.admin.daemon.JournalEntry;
import brmr.admin.daemon.JournalKeys;
import brmr.admin.daemon.RestoreReport;
import brmr.admin.store.BrmrStore;
import brmr.admin.store.PeerStores;
import brmr.admin.store.StoreOperations;
import brmr.device.BlockDevice;
import brmr.metadata.BitmapWrites;
import brmr.rmr.PoolException;
import brmr.rmr.SessionSecret;
import brmr.rmr.client.Leg;
import brmr.rmr.client.LegConnector;
import brmr.rmr.client.PeerTimeout;
import brmr.rmr.server.RequestException;
import brmr.rmr.server.ServedSession;
import brmr.rmr.server.SyncProgress;
import brmr.rmr.server.SyncSettings;
import brmr.rmr.sync.PeerAnswer;
import brmr.rmr.sync.SyncPool;
import brmr.rmr.sync.SyncPools;
import brmr.rmr.map.DirtyMap;
import brmr.rmr.server.ServerPool;
import brmr.rmr.server.ServerPools;
import brmr.rmr.tls.TransportSecurity;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** A storage node: its server pools, its brmr-server stores, and the control files over them. */
public final class StorageNode implements AutoCloseable {
    static final int DEFAULT_CHUNK_SIZE = 131072;

    private final ServerPools pools;
    private final SyncPools syncPools;
    private final Map<String, String> syncLinks = new TreeMap<>();
    private final StoreOperations stores;
    private final ControlTree tree = new ControlTree();
    /** The joins, stores and sync sessions this node accepted, for its next start. */
    private final ConfigJournal journal;
    private volatile RestoreReport restored;

    /**
     * A storage node that asks its peers over its own sync sessions, protected by {@code security} and, with
     * a {@code secret} (may be null), authenticated; it keeps its configuration in {@code journal}.
     */
    public StorageNode(BlockDevice.DirectIo directIo, BitmapWrites bitmapWrites, SyncSettings sync,
            PeerTimeout peerTimeout, TransportSecurity security, SessionSecret secret, ConfigJournal journal) {
        this(directIo, bitmapWrites, sync, peerTimeout, security, secret, null, journal);
    }

    /** A storage node whose peers' answers come from {@code peers} (tests, and nodes without sync sessions). */
    public StorageNode(BlockDevice.DirectIo directIo, PeerStores peers) {
        this(directIo, peers, ConfigJournal.inMemory());
    }

    /** As {@link #StorageNode(BlockDevice.DirectIo, PeerStores)}, recording into {@code journal}. */
    public StorageNode(BlockDevice.DirectIo directIo, PeerStores peers, ConfigJournal journal) {
        this(directIo, BitmapWrites.DEFAULT, SyncSettings.DEFAULT, PeerTimeout.ofDefault(), TransportSecurity.PLAIN,
                null, peers, journal);
    }

    private StorageNode(BlockDevice.DirectIo directIo, BitmapWrites bitmapWrites, SyncSettings sync,
            PeerTimeout peerTimeout, TransportSecurity security, SessionSecret secret, PeerStores peers,
            ConfigJournal journal) {
        this.journal = journal;
        this.syncPools = new SyncPools(LegConnector.tcp(security, secret), peerTimeout);
        this.pools = new ServerPools(sync);
        this.stores = new StoreOperations(pools, peers != null ? peers : this::askPeers, directIo, bitmapWrites);
        syncFiles();
        VerifyFiles.register(tree, this::pool);
        tree.writable("rmr-server/ctl/join_pool", (vars, value) -> joinPool(value))
                .names("rmr-server/pools/{pool}", vars -> pools.all().stream().map(ServerPool::name).toList())
                .readable("rmr-server/pools/{pool}/state", vars -> pool(vars).state().label())
                .readable("rmr-server/pools/{pool}/member_id", vars -> String.valueOf(pool(vars).memberId()))
                .readable("rmr-server/pools/{pool}/chunk_size", vars -> String.valueOf(pool(vars).chunkSize()))
                .readable("rmr-server/pools/{pool}/map_summary", vars -> pool(vars).mapSummary())
                .readable("rmr-server/pools/{pool}/map", vars -> pool(vars).mapBits())
                .writable("rmr-server/pools/{pool}/leave_pool", (vars, value) -> leavePool(vars, value))
                .writable("rmr-server/pools/{pool}/add_clt", (vars, value) -> addClient(vars, value))
                .file("rmr-server/pools/{pool}/sync", vars -> syncProgress(pool(vars)).describe(pool(vars).chunkSize()),
                        (vars, value) -> sync(pool(vars), value))
                .readable("rmr-server/pools/{pool}/sync_progress", vars -> toJson(progressJson(pool(vars))))
                .writable("brmr-server/ctl/create_store", (vars, value) -> recordStore(stores.create(value)))
                .writable("brmr-server/ctl/add_store", (vars, value) -> recordStore(stores.add(value)))
                .names("brmr-server/stores/{pool}", vars -> stores.pools())
                .readable("brmr-server/stores/{pool}/state", vars -> storeState(store(vars), storeFailure(vars.get("pool"))))
                .readable("brmr-server/stores/{pool}/mapped_size",
                        vars -> String.valueOf(store(vars).metadata().mappedSizeSectors()))
                .readable("brmr-server/stores/{pool}/bdev_name", vars -> store(vars).deviceName())
                .readable("brmr-server/stores/{pool}/dev_size",
                        vars -> String.valueOf(store(vars).device().size() / 512))
                .readable("brmr-server/stores/{pool}/pool_uuid", vars -> {
                    var uuid = store(vars).metadata().poolUuid();
                    return uuid == null ? "unset" : uuid.toString();
                })
                .writable("brmr-server/stores/{pool}/remove_store", (vars, value) -> {
                    boolean had = stores.store(vars.get("pool")).isPresent();
                    try {
                        stores.remove(vars.get("pool"), value);
                    } finally {
                        forgetStoreIfGone(had, vars.get("pool"));
                    }
                    return "";
                })
                .writable("brmr-server/stores/{pool}/delete_store", (vars, value) -> {
                    boolean had = stores.store(vars.get("pool")).isPresent();
                    try {
                        stores.delete(vars.get("pool"), value);
                    } finally {
                        forgetStoreIfGone(had, vars.get("pool"));
                    }
                    return "";
                })
                .writable("brmr-server/stores/{pool}/discard_my_data", (vars, value) -> {
                    ControlArgs.requireOne("discard_my_data", value);
                    store(vars);
                    ServerPool pool = pool(vars);
                    ControlException.refusing(pool::discardMyData);
                    return "";
                });
    }

    /** rmr-client on a storage node: sync pools and their sessions to peers. */
    private void syncFiles() {
        tree.writable("rmr-client/ctl/join_pool", (vars, value) -> joinSyncPool(value))
                .names("rmr-client/pools/{pool}", vars -> syncPools.all().stream().map(SyncPool::name).toList())
                .writable("rmr-client/pools/{pool}/add_sess", (vars, value) -> {
                    ControlArgs args = ControlArgs.parse("add_sess", value, List.of("sessname", "path"), List.of());
                    String session = args.sessionName("sessname");
                    var address = SessionPath.parse(args.text("path"));
                    SyncPool pool = syncPool(vars);
                    ControlException.refusing(() -> pool.addSession(session, address));
                    journal.record(new JournalEntry(JournalEntry.Kind.SESSION,
                            JournalKeys.rmrClientSession(pool.name(), session),
                            JournalKeys.rmrClientPool(pool.name()) + "/add_sess", "sessname=" + session + " path="
                            + args.text("path")));
                    return "";
                })
                .writable("rmr-client/pools/{pool}/leave_pool", (vars, value) -> {
                    ControlArgs.requireOne("leave_pool", value);
                    SyncPool leaving = syncPool(vars);
                    ControlException.refusing(() -> syncPools.leave(vars.get("pool")));
                    unlink(leaving);
                    journal.forget(JournalKeys.rmrClientPool(leaving.name()));
                    journal.forgetIf(entry -> entry.kind() == JournalEntry.Kind.LINK
                            && entry.value().equals(leaving.name()));
                    return "";
                })
                .names("rmr-client/pools/{pool}/sessions/{sess}",
                        vars -> syncPools.find(vars.get("pool")).map(p -> p.sessions().stream().map(Leg::name).toList())
                                .orElse(List.of()))
                .file("rmr-client/pools/{pool}/peer_timeout", vars -> syncPool(vars).peerTimeout().toString(),
                        (vars, value) -> {
                            PeerTimeoutFile.write(syncPool(vars).peerTimeout(), value);
                            journal.record(PeerTimeoutFile.entry(JournalKeys.rmrClientPool(vars.get("pool")), value));
                            return "";
                        })
                .readable("rmr-client/pools/{pool}/sessions/{sess}/state", vars -> syncLeg(vars).state().label())
                .readable("rmr-client/pools/{pool}/sessions/{sess}/member_id",
                        vars -> String.valueOf(syncLeg(vars).memberId()))
                .readable("rmr-client/pools/{pool}/sessions/{sess}/path", vars -> "ip:" + syncLeg(vars).where())
                .writable("rmr-client/pools/{pool}/sessions/{sess}/del_sess", (vars, value) -> {
                    ControlArgs.parse("del_sess", value, List.of("mode"), List.of())
                            .optionalChoice("mode", "delete", "disassemble");
                    SyncPool pool = syncPool(vars);
                    ControlException.refusing(() -> pool.deleteSession(vars.get("sess")));
                    journal.forget(JournalKeys.rmrClientSession(pool.name(), vars.get("sess")));
                    return "";
                })
                .writable("rmr-client/pools/{pool}/sessions/{sess}/reconnect", (vars, value) -> {
                    SessionPath.checkReconnect(value, syncLeg(vars).address());
                    SyncPool pool = syncPool(vars);
                    ControlException.refusing(() -> pool.reconnect(vars.get("sess")));
                    return "";
                });
    }

    private SyncPool syncPool(ControlTree.Vars vars) throws ControlException {
        try {
            return syncPools.get(vars.get("pool"));
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
    }

    private Leg syncLeg(ControlTree.Vars vars) throws ControlException {
        return syncPool(vars).session(vars.get("sess")).orElseThrow(() -> new ControlException("sessname",
                "no session " + vars.get("sess") + " in sync pool " + vars.get("pool")));
    }

    /** {@code rmr-client/ctl/join_pool poolname= chunk_size= sync=y}: needs the server pool of that name first. */
    private String joinSyncPool(String value) throws ControlException {
        ControlArgs args = ControlArgs.parse("join_pool", value, List.of("poolname", "chunk_size", "sync"), List.of());
        String name = args.name("poolname");
        long chunkSize = args.number("chunk_size", 4096, 1 << 26);
        if (!args.optionalChoice("sync", "y", "n").orElseThrow().equals("y")) {
            throw new ControlException("sync", "a storage node joins only sync pools (sync=y)");
        }
        ServerPool server;
        try {
            server = pools.get(name);
        } catch (PoolException e) {
            throw new ControlException("poolname", "join the server pool first: " + e.reason());
        }
        if (server.chunkSize() != chunkSize) {
            throw new ControlException("chunk_size", chunkSize + " differs from " + server.chunkSize()
                    + " of server pool " + name);
        }
        SyncPool sync;
        try {
            sync = syncPools.join(name, server.memberId(), server.chunkSize());
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
        if (!server.linked()) {
            link(server, sync);
        }
        journal.record(new JournalEntry(JournalEntry.Kind.SYNC_POOL, JournalKeys.rmrClientPool(name),
                "rmr-client/ctl/join_pool", "poolname=" + name + " chunk_size=" + chunkSize + " sync=y"));
        return "";
    }

    /**
     * {@code add_clt}: attaches a sync pool to a server pool; takes the sync pool's name as upstream writes it
     * ({@code ionos_pool}), as {@code poolname=}, or {@code 1} for the one of the same name.
     */
    private String addClient(ControlTree.Vars vars, String value) throws ControlException {
        ServerPool server = pool(vars);
        String text = value.strip();
        String syncName;
        if (text.equals("1")) {
            syncName = server.name();
        } else if (text.contains("=")) {
            syncName = ControlArgs.parse("add_clt", value, List.of("poolname"), List.of()).name("poolname");
        } else {
            syncName = ControlArgs.checkName("poolname", text);
        }
        SyncPool sync;
        try {
            sync = syncPools.get(syncName);
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
        if (sync.chunkSize() != server.chunkSize()) {
            throw new ControlException("poolname", "sync pool " + syncName + " uses chunk size " + sync.chunkSize()
                    + ", server pool " + server.name() + " uses " + server.chunkSize());
        }
        link(server, sync);
        String addClt = "rmr-server/pools/" + server.name() + "/add_clt";
        journal.record(new JournalEntry(JournalEntry.Kind.LINK, addClt, addClt, syncName));
        return "";
    }

    /** A store is re-added on restart, never created: its metadata is on the disk from now on. */
    private String recordStore(BrmrStore store) {
        String pool = store.metadata().poolName();
        journal.record(new JournalEntry(JournalEntry.Kind.STORE, storeKey(pool), "brmr-server/ctl/add_store",
                "device=" + store.deviceName() + " pool=" + pool + " mapped_size="
                        + store.metadata().mappedSizeSectors() + " mode=add"));
        return "";
    }

    /** A delete whose zeroing failed has still removed the store: a restart must not add it back. */
    private void forgetStoreIfGone(boolean had, String pool) {
        if (had && stores.store(pool).isEmpty()) {
            journal.forget(storeKey(pool));
        }
    }

    private static String serverPoolKey(String pool) {
        return "rmr-server/pools/" + pool;
    }

    private static String storeKey(String pool) {
        return "brmr-server/stores/" + pool;
    }

    private void link(ServerPool server, SyncPool sync) {
        synchronized (syncLinks) {
            server.link(sync);
            syncLinks.put(server.name(), sync.name());
        }
    }

    /** A sync pool is left: the server pools linked to it fetch from nowhere until one is joined or attached again. */
    private void unlink(SyncPool sync) {
        synchronized (syncLinks) {
            for (ServerPool server : pools.all()) {
                server.unlink(sync);
            }
            syncLinks.values().remove(sync.name());
        }
    }

    /** The peers of a pool, asked over the sync pool attached to it. */
    private List<PeerAnswer> askPeers(String pool) {
        String syncName;
        synchronized (syncLinks) {
            syncName = syncLinks.getOrDefault(pool, pool);
        }
        return syncPools.find(syncName).map(SyncPool::queryPeers).orElse(List.of());
    }

    private static SyncProgress syncProgress(ServerPool pool) throws ControlException {
        return pool.syncProgress().orElseThrow(() -> new ControlException("pool", "pool " + pool.name()
                + " has no store to sync"));
    }

    private static String sync(ServerPool pool, String value) throws ControlException {
        String command = value.strip();
        try {
            switch (command) {
                case "start" -> pool.startSync();
                case "stop" -> pool.stopSync();
                default -> throw new ControlException("sync", "'" + command + "' is not start or stop");
            }
        } catch (RequestException e) {
            throw new ControlException("sync", e.getMessage());
        }
        return "";
    }

    private static Map<String, Object> progressJson(ServerPool pool) throws ControlException {
        SyncProgress progress = syncProgress(pool);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("pool", pool.name());
        json.put("state", progress.state().name().toLowerCase(Locale.ROOT));
        json.put("reason", progress.reason());
        json.put("synced", progress.synced());
        json.put("dirty", progress.dirty());
        json.put("total", progress.total());
        json.put("chunk_size", pool.chunkSize());
        json.put("percent", Math.round(progress.percent() * 10) / 10.0);
        json.put("mib_per_s", Math.round(progress.mibPerSecond() * 10) / 10.0);
        var eta = progress.eta(pool.chunkSize());
        json.put("eta_seconds", eta == null ? null : eta.toSeconds());
        json.put("elapsed_seconds", progress.elapsed().toSeconds());
        return json;
    }

    private static String toJson(Object value) {
        try {
            return JSON.std.asString(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public ControlTree tree() {
        return tree;
    }

    public ServerPools pools() {
        return pools;
    }

    public StoreOperations stores() {
        return stores;
    }

    private String joinPool(String value) throws ControlException {
        ControlArgs args = ControlArgs.parse("join_pool", value, List.of("poolname", "member_id"),
                List.of("chunk_size"));
        String name = args.name("poolname");
        int memberId = (int) args.number("member_id", 0, 65535);
        long chunkSize = args.optionalNumber("chunk_size", 4096, 1 << 26).orElse((long) DEFAULT_CHUNK_SIZE);
        if (Long.bitCount(chunkSize) != 1) {
            throw new ControlException("chunk_size", chunkSize + " is not a power of two");
        }
        try {
            pools.join(name, memberId, (int) chunkSize);
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
        journal.record(new JournalEntry(JournalEntry.Kind.POOL, serverPoolKey(name), "rmr-server/ctl/join_pool",
                "poolname=" + name + " member_id=" + memberId + " chunk_size=" + chunkSize));
        return "";
    }

    private String leavePool(ControlTree.Vars vars, String value) throws ControlException {
        ControlArgs.requireOne("leave_pool", value);
        ControlException.refusing(() -> pools.leave(vars.get("pool")));
        journal.forget(serverPoolKey(vars.get("pool")));
        return "";
    }

    private ServerPool pool(ControlTree.Vars vars) throws ControlException {
        try {
            return pools.get(vars.get("pool"));
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
    }

    private BrmrStore store(ControlTree.Vars vars) throws ControlException {
        return stores.require(vars.get("pool"));
    }

    /**
     * One word per line, as upstream: open, then mapped when the store was verified by a client map;
     * a failed store ends with {@code failed: <reason>}.
     */
    static String storeState(BrmrStore store, Optional<String> failure) {
        String state = store.isMapped() ? "open\nmapped" : "open";
        return failure.map(reason -> state + "\nfailed: " + reason).orElse(state);
    }

    private Optional<String> storeFailure(String pool) {
        return pools.find(pool).flatMap(ServerPool::storeFailure);
    }

    /** The node as JSON: every pool with its state, store and dirty counts. */
    public String status() {
        List<Object> poolList = new ArrayList<>();
        for (ServerPool pool : pools.all()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("pool", pool.name());
            entry.put("member_id", pool.memberId());
            entry.put("chunk_size", pool.chunkSize());
            entry.put("state", pool.state().label());
            stores.store(pool.name()).ifPresent(store -> {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("device", store.deviceName());
                Optional<String> failure = pool.storeFailure();
                s.put("state", List.of(storeState(store, failure).split("\n")));
                s.put("failure", failure.orElse(null));
                s.put("mapped_size", store.metadata().mappedSizeSectors());
                s.put("dev_size", store.device().size() / 512);
                s.put("pool_uuid", store.metadata().poolUuid() == null ? null : store.metadata().poolUuid().toString());
                entry.put("store", s);
            });
            List<Object> dirty = new ArrayList<>();
            for (DirtyMap map : pool.dirtyMaps()) {
                dirty.add(Map.of("member", map.memberId(), "dirty", map.dirtyCount(), "total", map.chunkCount()));
            }
            entry.put("dirty", dirty);
            List<Object> served = new ArrayList<>();
            for (ServedSession session : pool.servedSessions()) {
                served.add(Map.of("session", session.name(), "role", session.role().name().toLowerCase(Locale.ROOT),
                        "member_id", session.member(), "peer", session.peer(), "authenticated",
                        session.authenticated()));
            }
            entry.put("served_sessions", served);
            entry.put("active_chunks", pool.activeChunkCount());
            pool.syncProgress().ifPresent(progress -> entry.put("sync", progress.describe(pool.chunkSize())));
            syncPools.find(pool.name()).ifPresent(sync -> {
                List<Object> sessions = new ArrayList<>();
                for (Leg leg : sync.sessions()) {
                    sessions.add(Map.of("session", leg.name(), "path", "ip:" + leg.where(), "member_id",
                            leg.memberId(), "state", leg.state().label(), "authenticated", leg.authenticated()));
                }
                entry.put("sync_sessions", sessions);
            });
            poolList.add(entry);
        }
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("node", "storage");
        node.put("pools", poolList);
        node.put("restore", restored == null ? null : restored.toJson());
        node.put("journal_error", journal.saveError().orElse(null));
        return toJson(node);
    }

    /** The journal this node records its accepted configuration into. */
    public ConfigJournal journal() {
        return journal;
    }

    /** What the start brought back from the journal, for {@code status}. */
    public void restored(RestoreReport report) {
        this.restored = report;
    }

    public SyncPools syncPools() {
        return syncPools;
    }

    /** Daemon shutdown: drains and closes every store (after the sessions are closed). */
    @Override
    public void close() {
        stores.closeAll();
    }
}
