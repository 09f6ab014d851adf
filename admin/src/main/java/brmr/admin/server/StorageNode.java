package brmr.admin.server;

import brmr.admin.control.ControlArgs;
import brmr.admin.control.ControlException;
import brmr.admin.control.ControlTree;
import brmr.admin.store.BrmrStore;
import brmr.admin.store.PeerStores;
import brmr.admin.store.StoreOperations;
import brmr.device.BlockDevice;
import brmr.rmr.adapter.PoolException;
import brmr.rmr.server.DirtyMap;
import brmr.rmr.server.ServerPool;
import brmr.rmr.server.ServerPools;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A storage node: its server pools, its brmr-server stores, and the control files over them. */
public final class StorageNode {
    static final int DEFAULT_CHUNK_SIZE = 131072;

    private final ServerPools pools = new ServerPools();
    private final StoreOperations stores;
    private final ControlTree tree = new ControlTree();

    public StorageNode(BlockDevice.DirectIo directIo, PeerStores peers) {
        this.stores = new StoreOperations(pools, peers, directIo);
        tree.writable("rmr-server/ctl/join_pool", (vars, value) -> joinPool(value))
                .names("rmr-server/pools/{pool}", vars -> pools.all().stream().map(ServerPool::name).toList())
                .readable("rmr-server/pools/{pool}/state", vars -> pool(vars).state().name())
                .readable("rmr-server/pools/{pool}/member_id", vars -> String.valueOf(pool(vars).memberId()))
                .readable("rmr-server/pools/{pool}/chunk_size", vars -> String.valueOf(pool(vars).chunkSize()))
                .readable("rmr-server/pools/{pool}/map_summary", vars -> pool(vars).mapSummary())
                .writable("rmr-server/pools/{pool}/leave_pool", (vars, value) -> leavePool(vars, value))
                .writable("brmr-server/ctl/create_store", (vars, value) -> {
                    stores.create(value);
                    return "";
                })
                .writable("brmr-server/ctl/add_store", (vars, value) -> {
                    stores.add(value);
                    return "";
                })
                .names("brmr-server/stores/{pool}", vars -> stores.pools())
                .readable("brmr-server/stores/{pool}/state", vars -> storeState(store(vars)))
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
                    stores.remove(vars.get("pool"), value);
                    return "";
                })
                .writable("brmr-server/stores/{pool}/delete_store", (vars, value) -> {
                    stores.delete(vars.get("pool"), value);
                    return "";
                });
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
            throw new ControlException(e.field(), e.reason());
        }
        return "";
    }

    private String leavePool(ControlTree.Vars vars, String value) throws ControlException {
        ControlArgs.requireOne("leave_pool", value);
        try {
            pools.leave(vars.get("pool"));
        } catch (PoolException e) {
            throw new ControlException(e.field(), e.reason());
        }
        return "";
    }

    private ServerPool pool(ControlTree.Vars vars) throws ControlException {
        try {
            return pools.get(vars.get("pool"));
        } catch (PoolException e) {
            throw new ControlException(e.field(), e.reason());
        }
    }

    private BrmrStore store(ControlTree.Vars vars) throws ControlException {
        return stores.require(vars.get("pool"));
    }

    /** One word per line, as upstream: open, then mapped when the store was verified by a client map. */
    static String storeState(BrmrStore store) {
        return store.isMapped() ? "open\nmapped" : "open";
    }

    /** The node as JSON: every pool with its state, store and dirty counts. */
    public String status() {
        List<Object> poolList = new ArrayList<>();
        for (ServerPool pool : pools.all()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("pool", pool.name());
            entry.put("member_id", pool.memberId());
            entry.put("chunk_size", pool.chunkSize());
            entry.put("state", pool.state().name());
            stores.store(pool.name()).ifPresent(store -> {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("device", store.deviceName());
                s.put("state", List.of(storeState(store).split("\n")));
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
            poolList.add(entry);
        }
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("node", "storage");
        node.put("pools", poolList);
        try {
            return JSON.std.asString(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
