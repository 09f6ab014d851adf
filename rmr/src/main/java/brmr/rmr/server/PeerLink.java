package brmr.rmr.server;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** A storage node's link to its peers in one pool, through its sync sessions. */
public interface PeerLink extends ChunkSource {
    /** This member now holds these chunks; peers clear them from their map of it. */
    void cleaned(long[] chunks);

    /** This member lacks chunks {@code firstChunk..lastChunk} (e.g. its disk was replaced); peers mark them. */
    void lacking(long firstChunk, long lastChunk);

    /**
     * Every peer's CRC32C of {@code chunk} (verify), one answer per sync session; empty when there is
     * no sync session at all.
     */
    default List<PeerChecksum> checksums(long chunk) {
        return List.of();
    }

    /** No sync sessions: nothing can be fetched, and no peer is told anything. */
    PeerLink NONE = new PeerLink() {
        @Override
        public int fetch(long chunk, MemorySegment dst) throws IOException {
            throw new IOException("no sync session to a peer is attached to this pool (rmr-client join_pool "
                    + "sync=y, add_sess)");
        }

        @Override
        public void cleaned(long[] chunks) {
        }

        @Override
        public void lacking(long firstChunk, long lastChunk) {
        }
    };
}
