package brmr.rmr.server;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Test fakes' and assertions' way between byte arrays and the segments of the server's data path. */
final class TestChunks {
    private TestChunks() {
    }

    /** A fake peer's answer: copies {@code chunk} into {@code dst} and returns its length, as a fetch does. */
    static int put(byte[] chunk, MemorySegment dst) {
        MemorySegment.copy(chunk, 0, dst, ValueLayout.JAVA_BYTE, 0, chunk.length);
        return chunk.length;
    }

    /** {@link ServerPool#read} into a buffer of its own, as bytes. */
    static byte[] read(ServerPool pool, long offset, int length) throws RequestException {
        return pool.read(offset, length, TestChunks::buffer).toArray(ValueLayout.JAVA_BYTE);
    }

    /** {@link ServerPool#readChunk} into a buffer of its own, as bytes. */
    static byte[] readChunk(ServerPool pool, long chunk) throws RequestException {
        return pool.readChunk(chunk, TestChunks::buffer).toArray(ValueLayout.JAVA_BYTE);
    }

    private static MemorySegment buffer(int length) {
        return Arena.ofAuto().allocate(length, 4096);
    }
}
