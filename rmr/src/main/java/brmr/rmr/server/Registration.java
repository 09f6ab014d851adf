package brmr.rmr.server;

import brmr.rmr.adapter.RegisterMode;

/**
 * A store registered with a pool and what the pool keeps for it until it is unregistered: the
 * gated access to its disk, the dirty maps it persists, its IO path, its sync thread, and whether
 * its first map may still be undone. A new registration starts from scratch (no failure, no IO).
 */
record Registration(RegisterMode mode, StoreAccess access, DirtyMaps maps, PoolIo io, SyncThread sync,
        UnmapGuard unmapGuard) {
}
