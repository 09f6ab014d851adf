package brmr.rmr.server;

/**
 * One peer's answer to "what is the CRC32C of chunk c on your side": the checksum, or that the peer
 * lacks the chunk itself (dirty there), or that it could not be asked.
 *
 * @param peer the sync session the answer came through
 * @param crc32c the checksum; meaningful only when {@code answer} is {@link Answer#CHECKSUM}
 * @param detail why there is no checksum (null for {@link Answer#CHECKSUM})
 */
public record PeerChecksum(String peer, Answer answer, int crc32c, String detail) {

    /** What kind of answer a peer gave. */
    public enum Answer {
        /** The peer holds the chunk clean and computed its checksum. */
        CHECKSUM,
        /** The peer is missing the chunk's current data itself: nothing to compare with. */
        DIRTY,
        /** The peer was not reachable, or could not answer (no store, IO error). */
        UNREACHABLE
    }

    public static PeerChecksum of(String peer, int crc32c) {
        return new PeerChecksum(peer, Answer.CHECKSUM, crc32c, null);
    }

    public static PeerChecksum dirty(String peer, String detail) {
        return new PeerChecksum(peer, Answer.DIRTY, 0, detail);
    }

    public static PeerChecksum unreachable(String peer, String detail) {
        return new PeerChecksum(peer, Answer.UNREACHABLE, 0, detail);
    }
}
