package brmr.admin.store;

import brmr.rmr.adapter.StoreParams;
import java.util.List;

/** The store parameters of a pool's peers, asked over the sync sessions of this storage node. */
@FunctionalInterface
public interface PeerStores {
    /** One answer per reachable peer. */
    record Answer(String peer, StoreParams params) {
    }

    /** Asks every peer reachable over the pool's sync sessions; unreachable peers are left out. */
    List<Answer> reachable(String pool);
}
