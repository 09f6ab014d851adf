package brmr.admin.server;

import brmr.admin.events.StateSnapshot;
import brmr.rmr.client.Leg;
import brmr.rmr.map.DirtyMap;
import brmr.rmr.server.ServerPool;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A storage node's objects for {@code brmrctl events}: per server pool its state, store, what each
 * member lacks, its sync thread (state and whole percent, so a running sync reports at most one line
 * per percent), and its sync sessions.
 */
public final class StorageStates implements Supplier<StateSnapshot> {
    private final StorageNode node;

    public StorageStates(StorageNode node) {
        this.node = node;
    }

    @Override
    public StateSnapshot get() {
        StateSnapshot snapshot = new StateSnapshot();
        for (ServerPool pool : node.pools().all()) {
            String name = pool.name();
            Map<String, String> fields = snapshot.object("pool", "name", name);
            fields.put("state", pool.state().label());
            fields.put("member", String.valueOf(pool.memberId()));
            node.stores().store(name).ifPresent(store -> snapshot.object("store", "pool", name).put("state",
                    StorageNode.storeState(store, pool.storeFailure()).lines().map(l -> l.split(":")[0])
                            .reduce((a, b) -> a + "," + b).orElse("")));
            for (DirtyMap map : pool.dirtyMaps()) {
                Map<String, String> member = snapshot.object("member", "pool", name, "member",
                        String.valueOf(map.memberId()));
                member.put("dirty", String.valueOf(map.dirtyCount()));
                member.put("chunks", String.valueOf(map.chunkCount()));
            }
            pool.syncProgress().ifPresent(progress -> {
                Map<String, String> sync = snapshot.object("sync", "pool", name);
                sync.put("state", progress.state().name().toLowerCase(Locale.ROOT));
                sync.put("percent", String.valueOf((long) Math.floor(progress.percent())));
            });
            node.syncPools().find(name).ifPresent(sync -> {
                for (Leg leg : sync.sessions()) {
                    Map<String, String> session = snapshot.object("session", "name", leg.name(), "pool", name);
                    session.put("state", leg.state().label());
                    session.put("member", String.valueOf(leg.memberId()));
                }
            });
        }
        return snapshot;
    }
}
