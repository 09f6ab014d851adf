package brmr.rmr.adapter;

import brmr.rmr.PoolException;
import java.util.stream.LongStream;

/** How brmr-server hands a store to the RMR server pool, takes it back, and reports chunks it lacks. */
public interface RmrAdapter {
    /** Chunk size of a joined pool; refuses a pool this node has not joined. */
    int chunkSize(String pool) throws PoolException;

    /** Member id of this node in a joined pool. */
    int memberId(String pool) throws PoolException;

    /** Registers a store; refused when the pool is not joined or already has a store. */
    void register(String pool, PoolStore store, RegisterMode mode) throws PoolException;

    /**
     * Unregisters the pool's store: new IO on it is refused at once, and this returns once the IO in
     * flight on it has drained, so that the caller may close it.
     */
    void unregister(String pool) throws PoolException;

    /** Marks the given chunks dirty for this member (its store lacks their data) and persists that. */
    void discard(String pool, LongStream chunks) throws PoolException;
}
