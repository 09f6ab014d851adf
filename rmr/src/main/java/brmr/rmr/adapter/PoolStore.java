package brmr.rmr.adapter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.UUID;

/**
 * What a server pool needs from the store registered with it: the data area, and persistence for
 * the pool's dirty maps, MAPPED flag, writer, in-service record and active chunks. brmr-server
 * implements it over the store's disk.
 */
public interface PoolStore {
    StoreParams params();

    /** The device backing the store, for messages. */
    String deviceName();

    /** Reads {@code dst.byteSize()} bytes at {@code offset} of the data area. */
    void read(long offset, MemorySegment dst) throws IOException;

    void write(long offset, MemorySegment src) throws IOException;

    /**
     * Frees {@code length} bytes at {@code offset} of the data area so that they read as zeroes and
     * returns true, or returns false having changed nothing when the store's device cannot.
     */
    default boolean discard(long offset, long length) throws IOException {
        return false;
    }

    void flush() throws IOException;

    /** A buffer suitable for {@link #read} and {@link #write} (aligned for direct IO). */
    MemorySegment allocate(java.lang.foreign.Arena arena, long size);

    /** Member ids whose dirty map is persisted on this store. */
    int[] persistedMembers();

    /** The persisted dirty bits of a member (bit c = chunk c), all clear when none are persisted. */
    long[] loadDirty(int memberId) throws IOException;

    /**
     * Persists the dirty bits of chunks {@code [fromChunk, toChunk)} of a member and flushes; a
     * single call only sets or only clears bits, so a torn write errs on the side of dirty.
     */
    void persistDirty(int memberId, long[] words, long fromChunk, long toChunk) throws IOException;

    /** Records MAPPED and the pool UUID durably (first client map). */
    void persistMapped(UUID poolUuid) throws IOException;

    /**
     * Clears MAPPED, the pool UUID and the writer durably: a first client map that failed part-way
     * is undone.
     */
    void persistUnmapped() throws IOException;

    /** The writer epoch recorded on the store; 0 before the first map. */
    long writerEpoch();

    /** The client that claimed the recorded writer epoch; null exactly when the epoch is 0. */
    UUID writerClient();

    /**
     * Records durably, in one header update, that client {@code client} is the pool's writer in
     * epoch {@code epoch} (a client's map, or a forced take-over); epoch 0 with a null client
     * records that there is none.
     *
     * @throws IllegalArgumentException naming writer_epoch or writer_client when the epoch is
     *         negative, or the client is null for a positive epoch (or set for epoch 0)
     */
    void persistWriter(long epoch, UUID client) throws IOException;

    /** The map version recorded on the store; 0 before the first in-service record. */
    long mapVersion();

    /** The members in service at {@link #mapVersion()}, as recorded; empty before the first record. */
    List<Integer> inService();

    /**
     * Records durably, in one header update, that {@code members} are in service from map version
     * {@code version} on.
     *
     * @throws IllegalArgumentException naming map_version or in_service when the version is negative,
     *         or there are more than 8 members, a negative one or one twice
     */
    void persistService(long version, List<Integer> members) throws IOException;

    /**
     * The persisted active chunks (bit c = chunk c): chunks this store may have written without every
     * leg having them; all clear when none are persisted. Never one of {@link #persistedMembers()}.
     */
    long[] loadActive() throws IOException;

    /**
     * Persists the active bits of chunks {@code [fromChunk, toChunk)} and flushes; a single call only
     * sets or only clears bits, so a torn write leaves every bit old or new.
     */
    void persistActive(long[] words, long fromChunk, long toChunk) throws IOException;
}
