package brmr.rmr.server;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** Where a storage node fetches a chunk it lacks: a peer that holds it clean. */
@FunctionalInterface
public interface ChunkSource {
    /**
     * Reads the whole chunk, as a peer holds it, into the start of {@code dst} (at least a chunk long)
     * and returns its length; fails when no peer can supply it. {@code dst} stays the caller's.
     */
    int fetch(long chunk, MemorySegment dst) throws IOException;
}
