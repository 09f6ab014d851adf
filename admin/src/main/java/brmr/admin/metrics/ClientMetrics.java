package brmr.admin.metrics;

import brmr.rmr.client.ClientPool;
import brmr.rmr.client.ClientPools;
import brmr.rmr.client.Leg;
import brmr.rmr.client.SessionState;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/** A compute client's metrics: per pool what it knows dirty, per leg the session's state and the IO sent over it. */
public final class ClientMetrics implements Supplier<String> {
    private static final List<String> SESSION_STATES = Arrays.stream(SessionState.values()).map(SessionState::label)
            .toList();

    private final ClientPools pools;

    public ClientMetrics(ClientPools pools) {
        this.pools = pools;
    }

    @Override
    public String get() {
        Exposition out = new Exposition();
        for (ClientPool pool : pools.all()) {
            String name = pool.name();
            out.gauge("brmr_client_pool_chunk_size_bytes", "The pool's chunk size.", pool.chunkSize(), "pool", name);
            pool.knownDirtyCounts().forEach((member, dirty) -> out.gauge("brmr_client_pool_dirty_chunks",
                    "Chunks the client knows the member lacks (reads avoid them there).", dirty, "pool", name,
                    "member", String.valueOf(member)));
            for (Leg leg : pool.legs()) {
                out.states("brmr_client_session_state", "The session (leg) to a storage node: 1 for its "
                        + "current state.", leg.state().label(), SESSION_STATES, "pool", name, "session", leg.name());
                out.gauge("brmr_client_session_member_id", "The member id of the storage node behind the session, "
                        + "-1 before it answered.", leg.memberId(), "pool", name, "session", leg.name());
                IoMetrics.add(out, "brmr_client", "the session", leg.ioStats(), "pool", name, "session", leg.name());
            }
        }
        return out.render();
    }
}
