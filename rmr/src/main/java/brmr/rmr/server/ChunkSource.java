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

    /**
     * Reads {@code count} adjacent chunks from {@code first} on, back to back, into {@code dst} (exactly
     * {@code count} chunks long) and returns the bytes read: fewer only when the last is the store's
     * short last chunk. One peer that holds them all clean supplies them with one read where the source
     * can; this default fetches them one by one. Fails as a whole: the caller learns nothing of which
     * chunk failed, and asks for them one by one to find out.
     */
    default long fetchRun(long first, int count, MemorySegment dst) throws IOException {
        long chunkSize = dst.byteSize() / count;
        long read = 0;
        for (int i = 0; i < count; i++) {
            read += fetch(first + i, dst.asSlice(i * chunkSize, chunkSize));
        }
        return read;
    }
}
