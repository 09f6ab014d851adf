package brmr.rmr.protocol;

import brmr.rmr.adapter.StoreParams;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Every message of the RMR session protocol between a compute client (or a sync peer) and a
 * storage node. Requests and replies travel in frames carrying a request id; {@link RmrCodec}
 * is the only class that turns them into bytes.
 */
public sealed interface Message {
    /** Who opens a session: the compute client, or a storage node syncing from its peer. */
    enum Role { COMPUTE, SYNC }

    /** A compute session joins a fresh pool (create) or an existing one (assemble). */
    enum JoinMode { CREATE, ASSEMBLE }

    /** A session leaves for good (delete) or for a shutdown (disassemble). */
    enum LeaveMode { DELETE, DISASSEMBLE }

    /** Why a request failed. */
    enum Status {
        /** The store failed the IO. */
        IO_ERROR,
        /** The request is malformed or out of range. */
        INVALID,
        /** The pool is not in a state that serves this request (no store, not NORMAL, not MAPPED). */
        NOT_READY,
        /** The chunk is dirty on this member and no peer could supply it. */
        DIRTY,
        /** A join, enable or map the pool refuses; the message says why. */
        REFUSED,
        /** The peer broke the protocol. */
        PROTOCOL,
        /** Another client took the pool over with a newer writer epoch: this one must not write or rejoin. */
        FENCED
    }

    // ---- requests ----

    /**
     * Opens the authentication of a session (a node with a secret requires it before Hello): who the
     * session will be -- its role, pool, session name and member id (-1 for a compute client), which the
     * Hello that follows must repeat -- and the caller's random nonce. Answered with {@link AuthChallenge}.
     */
    record AuthStart(Role role, String pool, String session, int member, byte[] nonce) implements Message {
        @Override
        public boolean equals(Object other) {
            return other instanceof AuthStart that && role == that.role && Objects.equals(pool, that.pool)
                    && Objects.equals(session, that.session) && member == that.member
                    && Arrays.equals(nonce, that.nonce);
        }

        @Override
        public int hashCode() {
            return Objects.hash(role, pool, session, member, Arrays.hashCode(nonce));
        }

        @Override
        public String toString() {
            return "AuthStart[role=" + role + ", pool=" + pool + ", session=" + session + ", member=" + member + "]";
        }
    }

    /** The caller's proof that it holds the secret; answered with {@link Ok}, or a Failure before the close. */
    record AuthProof(byte[] proof) implements Message {
        @Override
        public boolean equals(Object other) {
            return other instanceof AuthProof that && Arrays.equals(proof, that.proof);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(proof);
        }

        @Override
        public String toString() {
            return "AuthProof[" + (proof == null ? "null" : proof.length + " bytes") + "]";
        }
    }

    /**
     * First message of every session. {@code fromMember} is the sync peer's member id, -1 for a compute
     * client; {@code writer} says which client a compute session belongs to (null for a sync session).
     */
    record Hello(int protocolVersion, Role role, String pool, String session, JoinMode mode, int chunkSize,
            int fromMember, Writer writer) implements Message {
        /** A Hello without a writer (a sync session). */
        public Hello(int protocolVersion, Role role, String pool, String session, JoinMode mode, int chunkSize,
                int fromMember) {
            this(protocolVersion, role, pool, session, mode, chunkSize, fromMember, null);
        }
    }

    /**
     * Who a compute session writes for: the client's persisted identity, the writer epoch it last
     * claimed (0: none yet), and whether it takes the pool over from another client that is still
     * connected (which fences that client).
     */
    record Writer(UUID clientId, long epoch, boolean force) {
    }

    /** Makes the session's client the pool's writer at {@code epoch}, newer than any before; persisted. */
    record ClaimWriter(long epoch) implements Message {
    }

    /** Recovery: what this node knows of the pool's history (answered with {@link RecoveryState}). */
    record GetRecovery() implements Message {
    }

    /**
     * The members in service from map version {@code mapVersion} on, as the client set them (a leg
     * enabled or taken out); persisted with the version before the reply.
     */
    record InService(long mapVersion, List<Integer> members) implements Message {
    }

    /** Recovery turned this node's active chunks into dirty marks on every leg: it may forget them. */
    record ActivityResolved() implements Message {
    }

    record Enable() implements Message {
    }

    /** {@code enable 0} on the client: the leg is out of service on purpose; its pool serves no IO until enabled. */
    record Maintenance() implements Message {
    }

    record Leave(LeaveMode mode) implements Message {
    }

    /** Asks for the parameters of the pool's store on this node. */
    record QueryParams() implements Message {
    }

    /** First client map: set MAPPED and the pool UUID in the store's metadata. */
    record MarkMapped(UUID poolUuid) implements Message {
    }

    /** Asks for every dirty map this node holds for the pool. */
    record GetMaps() implements Message {
    }

    /** The client's map update before it enables a session: the authoritative dirty maps. */
    record MapUpdate(Maps maps) implements Message {
    }

    record Read(long offset, int length) implements Message {
    }

    /**
     * A write; {@code missingMembers} are the legs not in service, which the node marks dirty first.
     * {@code data} is not copied: a sender keeps it unchanged until the send returns; a received one
     * lives in its {@link Frame}'s buffer until {@link Frame#release()}.
     */
    record Write(long offset, List<Integer> missingMembers, MemorySegment data) implements Message {
        @Override
        public boolean equals(Object other) {
            return other instanceof Write that && offset == that.offset
                    && Objects.equals(missingMembers, that.missingMembers) && sameBytes(data, that.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(offset, missingMembers, bytesHash(data));
        }

        /** The length, not the bytes: a write carries up to megabytes. */
        @Override
        public String toString() {
            return "Write[offset=" + offset + ", missingMembers=" + missingMembers + ", data=" + describe(data) + "]";
        }
    }

    record WriteZeroes(long offset, int length, List<Integer> missingMembers) implements Message {
    }

    /**
     * The range is no longer needed (NBD trim): replicated and recorded like a write, and afterwards it
     * reads as zeroes on every leg that took it.
     */
    record Trim(long offset, int length, List<Integer> missingMembers) implements Message {
    }

    /** Marks chunks {@code firstChunk..lastChunk} (inclusive) dirty for {@code members}: they missed a write. */
    record MarkDirty(List<Integer> members, long firstChunk, long lastChunk) implements Message {
    }

    record Flush() implements Message {
    }

    /** Sync: the whole of one chunk, as this node holds it clean. */
    record ReadChunk(long chunk) implements Message {
    }

    /**
     * Sync: {@code count} adjacent chunks from {@code firstChunk} on, back to back in one {@link Data}
     * (the store's last chunk may be short), read with one IO; refused unless this node holds all of
     * them clean.
     */
    record ReadChunks(long firstChunk, int count) implements Message {
    }

    /** Sync: {@code member} now holds these chunks; peers clear them from their map of that member. */
    record ChunksClean(int member, long[] chunks) implements Message {
        @Override
        public boolean equals(Object other) {
            return other instanceof ChunksClean that && member == that.member && Arrays.equals(chunks, that.chunks);
        }

        @Override
        public int hashCode() {
            return 31 * member + Arrays.hashCode(chunks);
        }

        /** The count, not the chunk numbers: a sync batch can list thousands. */
        @Override
        public String toString() {
            return "ChunksClean[member=" + member + ", chunks=" + (chunks == null ? "null" : chunks.length + " chunks")
                    + "]";
        }
    }

    /** Keeps an idle session proven alive; answered with {@link Ok} at once, whatever the pool is doing. */
    record Ping() implements Message {
    }

    /** Verify: the CRC32C of one chunk as this node holds it clean (answered with {@link Checksum}). */
    record ChunkChecksum(long chunk) implements Message {
    }

    /** Undoes a first map that did not reach every leg: clears MAPPED if the store has served no IO since. */
    record Unmap(UUID poolUuid) implements Message {
    }

    // ---- replies ----

    /** The answer to {@link AuthStart}: the serving node's nonce and its proof that it holds the secret. */
    record AuthChallenge(byte[] nonce, byte[] proof) implements Message {
        @Override
        public boolean equals(Object other) {
            return other instanceof AuthChallenge that && Arrays.equals(nonce, that.nonce)
                    && Arrays.equals(proof, that.proof);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(nonce) + Arrays.hashCode(proof);
        }

        @Override
        public String toString() {
            return "AuthChallenge[" + (proof == null ? "null" : proof.length + " bytes") + "]";
        }
    }

    record Ok() implements Message {
    }

    record Failure(Status status, String message) implements Message {
    }

    /** Accepts a session: this node's member id, its pool state, its store (null when none) and its writer epoch. */
    record HelloOk(int memberId, String poolState, StoreParams store, long writerEpoch) implements Message {
        public HelloOk(int memberId, String poolState, StoreParams store) {
            this(memberId, poolState, store, 0);
        }
    }

    /** The store of this node's pool; null when the pool has none. */
    record Params(StoreParams store) implements Message {
    }

    /** Dirty maps of a pool: per member, bit c of {@code words} set means that member lacks chunk c. */
    record Maps(long chunkCount, List<MemberMap> maps) implements Message {
    }

    record MemberMap(int member, long[] words) {
        @Override
        public boolean equals(Object other) {
            return other instanceof MemberMap that && member == that.member && Arrays.equals(words, that.words);
        }

        @Override
        public int hashCode() {
            return 31 * member + Arrays.hashCode(words);
        }

        /** The word count, not the bits: a map of a large pool has millions of words. */
        @Override
        public String toString() {
            return "MemberMap[member=" + member + ", words=" + (words == null ? "null" : words.length + " words") + "]";
        }
    }

    /**
     * A node's record for recovery: the writer epoch and map version it last persisted, the members in
     * service at that version, and the chunks it may have written without every leg having them (its
     * active chunks: writes a client may not have completed on every leg).
     */
    record RecoveryState(long writerEpoch, long mapVersion, List<Integer> inService, long[] activeChunks)
            implements Message {
        @Override
        public boolean equals(Object other) {
            return other instanceof RecoveryState that && writerEpoch == that.writerEpoch
                    && mapVersion == that.mapVersion && Objects.equals(inService, that.inService)
                    && Arrays.equals(activeChunks, that.activeChunks);
        }

        @Override
        public int hashCode() {
            return Objects.hash(writerEpoch, mapVersion, inService, Arrays.hashCode(activeChunks));
        }

        @Override
        public String toString() {
            return "RecoveryState[writerEpoch=" + writerEpoch + ", mapVersion=" + mapVersion + ", inService="
                    + inService + ", activeChunks=" + (activeChunks == null ? "null" : activeChunks.length + " chunks")
                    + "]";
        }
    }

    /** The CRC32C of a chunk's bytes on the answering node. */
    record Checksum(long chunk, int crc32c) implements Message {
    }

    /**
     * Read data. As for {@link Write}, {@code data} is not copied; a received one lives in the caller's
     * destination (see {@code RpcChannel.call(Message, MemorySegment)}) or in a segment of its own.
     */
    record Data(MemorySegment data) implements Message {
        @Override
        public boolean equals(Object other) {
            return other instanceof Data that && sameBytes(data, that.data);
        }

        @Override
        public int hashCode() {
            return bytesHash(data);
        }

        /** The length, not the bytes: a read returns up to megabytes. */
        @Override
        public String toString() {
            return "Data[" + describe(data) + "]";
        }
    }

    /** Equal lengths and bytes (or both null). */
    private static boolean sameBytes(MemorySegment a, MemorySegment b) {
        if (a == null || b == null) {
            return a == b;
        }
        return a.byteSize() == b.byteSize() && MemorySegment.mismatch(a, 0, a.byteSize(), b, 0, b.byteSize()) == -1;
    }

    /** As {@link Arrays#hashCode(byte[])} of the bytes. */
    private static int bytesHash(MemorySegment data) {
        if (data == null) {
            return 0;
        }
        int hash = 1;
        for (long i = 0; i < data.byteSize(); i++) {
            hash = 31 * hash + data.get(ValueLayout.JAVA_BYTE, i);
        }
        return hash;
    }

    private static String describe(MemorySegment data) {
        return data == null ? "null" : data.byteSize() + " bytes";
    }
}
