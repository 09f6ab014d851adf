package brmr.rmr.server;

import java.io.IOException;

/** Where a storage node fetches a chunk it lacks: a peer that holds it clean. */
@FunctionalInterface
public interface ChunkSource {
    /** The whole chunk as a peer holds it; fails when no peer can supply it. */
    byte[] fetch(long chunk) throws IOException;
}
