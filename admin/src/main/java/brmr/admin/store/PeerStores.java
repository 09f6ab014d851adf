package brmr.admin.store;

import brmr.rmr.sync.PeerAnswer;
import java.util.List;

/** The store parameters of a pool's peers, asked over the sync sessions of this storage node. */
@FunctionalInterface
public interface PeerStores {
    /** Asks every peer reachable over the pool's sync sessions; unreachable peers are left out. */
    List<PeerAnswer> reachable(String pool);
}
