package brmr.rmr.server;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.StoreParams;
import java.util.List;
import java.util.stream.LongStream;

/** What the online verify of a server pool sees of it: its store, its own dirty map, its peers. */
final class PoolVerifyView implements VerifyThread.Pool {
    private final ServerPool pool;

    PoolVerifyView(ServerPool pool) {
        this.pool = pool;
    }

    @Override
    public String name() {
        return pool.name();
    }

    @Override
    public int chunkSize() {
        return pool.chunkSize();
    }

    @Override
    public long chunkCount() {
        return pool.params().map(StoreParams::chunkCount).orElse(0L);
    }

    @Override
    public String whyNotVerifying() {
        if (pool.store().isEmpty()) {
            return "pool " + pool.name() + " has no store";
        }
        PoolState state = pool.state();
        return state == PoolState.NORMAL ? null
                : "pool " + pool.name() + " is " + state + "; verify runs only in " + PoolState.NORMAL;
    }

    @Override
    public SyncSettings settings() {
        return pool.syncSettings();
    }

    @Override
    public boolean isDirtyHere(long chunk) {
        return pool.isDirtyHere(chunk);
    }

    @Override
    public int localChecksum(long chunk) throws RequestException {
        return pool.chunkChecksum(chunk);
    }

    @Override
    public List<PeerChecksum> peerChecksums(long chunk) {
        return pool.peerLink().checksums(chunk);
    }

    @Override
    public void markOwnDirty(long[] chunks) throws PoolException {
        pool.discard(LongStream.of(chunks));
    }
}
