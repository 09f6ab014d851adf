package brmr.admin.client;

import brmr.admin.events.StateSnapshot;
import brmr.rmr.client.ClientPool;
import brmr.rmr.client.Leg;
import brmr.rmr.client.SessionState;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A compute client's objects for {@code brmrctl events}: per pool how many legs serve, each session's
 * state, what the client knows each member lacks, and the mapped devices.
 */
public final class ClientStates implements Supplier<StateSnapshot> {
    private final ClientNode node;

    public ClientStates(ClientNode node) {
        this.node = node;
    }

    @Override
    public StateSnapshot get() {
        StateSnapshot snapshot = new StateSnapshot();
        List<MappedDevice> devices = node.exports();
        for (ClientPool pool : node.pools().all()) {
            String name = pool.name();
            List<Leg> legs = pool.legs();
            long serving = legs.stream().filter(leg -> leg.state() == SessionState.NORMAL).count();
            snapshot.object("pool", "name", name).put("in_service", serving + "/" + legs.size());
            for (Leg leg : legs) {
                Map<String, String> session = snapshot.object("session", "name", leg.name(), "pool", name);
                session.put("state", leg.state().label());
                session.put("member", String.valueOf(leg.memberId()));
            }
            pool.knownDirtyCounts().forEach((member, dirty) -> snapshot.object("member", "pool", name, "member",
                    String.valueOf(member)).put("dirty", String.valueOf(dirty)));
            for (MappedDevice device : devices) {
                if (device.pool() == pool) {
                    Map<String, String> fields = snapshot.object("device", "name", device.name(), "pool", name);
                    fields.put("state", "ready");
                    fields.put("size", String.valueOf(device.size() / 512));
                }
            }
        }
        return snapshot;
    }
}
