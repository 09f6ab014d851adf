package brmr.rmr.server;

import brmr.device.Disk;
import brmr.device.IoBuffer;
import brmr.device.IoBuffers;
import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.map.DirtyMap;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.RmrCodec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.tinylog.Logger;

/**
 * The IO one registered store serves: data reads and writes for the compute client, whole chunks
 * for peers and for verify, and the chunks this member lacks, fetched on demand before an IO
 * touches them. Lock order: chunk locks, then the store's gate (via {@link StoreAccess}), then the
 * dirty maps' locks. A write of clean chunks takes only its chunks' stripes: the gate is entered, and
 * this member's map asked, without a lock.
 */
final class PoolIo {
    /** A trim the store cannot discard writes at most this many zero bytes at a time (whole sectors). */
    private static final int ZEROES_PIECE_BYTES = 1 << 20;
    /** Read only, shared by every writer of zeroes; aligned for direct IO. */
    static final MemorySegment ZEROES = Disk.allocate(Arena.global(), ZEROES_PIECE_BYTES);
    private final String pool;
    private final int member;
    private final int chunkSize;
    private final StoreAccess store;
    private final DirtyMaps maps;
    private final Supplier<PeerLink> peers;
    private final ChunkLocks locks = new ChunkLocks();
    private final ChunkSync chunkSync;
    /** Whether the store's lack of discard was logged; a race logs it twice at worst. */
    private volatile boolean discardUnsupportedLogged;

    /**
     * @param peers where chunks this member lacks come from, and who hears of the ones synced
     */
    PoolIo(String pool, int member, int chunkSize, StoreAccess store, DirtyMaps maps, Supplier<PeerLink> peers) {
        this.pool = pool;
        this.member = member;
        this.chunkSize = chunkSize;
        this.store = store;
        this.maps = maps;
        this.peers = peers;
        this.chunkSync = new ChunkSync(new ChunkSync.Target() {
            @Override
            public boolean isDirty(long chunk) {
                return maps.own().isDirty(chunk);
            }

            @Override
            public void install(long first, int count, MemorySegment data) throws IOException {
                installChunks(first, count, data);
            }

            @Override
            public int chunkSize() {
                return chunkSize;
            }

            @Override
            public void commit(List<Long> chunks) throws IOException {
                commitChunks(chunks);
            }
        });
    }

    ChunkSync chunkSync() {
        return chunkSync;
    }

    /** Reads into a buffer of {@code buffers} (which owns it), once the range is checked and clean here. */
    MemorySegment read(long offset, int length, IntFunction<MemorySegment> buffers) throws RequestException {
        checkRange(offset, length);
        if (length > RmrCodec.MAX_DATA_BYTES) {
            throw new RequestException(Status.INVALID, "read of " + length + " bytes exceeds the limit of "
                    + RmrCodec.MAX_DATA_BYTES);
        }
        ensureClean(offset, length);
        MemorySegment dst = buffers.apply(length);
        store.run("data read", disk -> {
            disk.read(offset, dst);
            return null;
        });
        return dst;
    }

    void write(long offset, MemorySegment data) throws RequestException {
        modify("data write", offset, Math.toIntExact(data.byteSize()), disk -> writeStore(disk, offset, data));
    }

    /**
     * Discards the range on the store, or writes zeroes where the store cannot discard, so that every
     * leg reads it back as zeroes. Its chunks are made clean first, as for a write: a chunk half-trimmed
     * keeps the peer's data in its other half, and a later sync cannot bring back what was trimmed.
     */
    void trim(long offset, int length) throws RequestException {
        modify("trim", offset, length, disk -> {
            if (!disk.discard(offset, length)) {
                if (!discardUnsupportedLogged) {
                    discardUnsupportedLogged = true;
                    Logger.debug("pool {}: {} cannot discard, trims write zeroes", pool, disk.deviceName());
                }
                writeZeroes(disk, offset, length);
            }
        });
    }

    /** A change of the store's data in a range. */
    @FunctionalInterface
    private interface StoreChange {
        void apply(PoolStore disk) throws IOException;
    }

    private void modify(String what, long offset, int length, StoreChange change) throws RequestException {
        checkRange(offset, length);
        ensureClean(offset, length);
        try (ChunkLocks.Held _ = locks.shared(offset / chunkSize, (offset + length - 1) / chunkSize)) {
            store.run(what, disk -> {
                change.apply(disk);
                return null;
            });
        }
    }

    void flush() throws RequestException {
        store.run("flush", disk -> {
            disk.flush();
            return null;
        });
    }

    /** Sync: a whole chunk for a peer that lacks it, read into a buffer of {@code buffers}; only a chunk this member holds clean is given out. */
    MemorySegment readChunk(long chunk, IntFunction<MemorySegment> buffers) throws RequestException {
        int length = requireCleanChunk(chunk);
        MemorySegment dst = buffers.apply(length);
        store.run("chunk read", disk -> {
            disk.read(chunk * chunkSize, dst);
            return null;
        });
        return dst;
    }

    /**
     * Sync: {@code count} adjacent chunks for a peer that lacks them, read with one IO into a buffer of
     * {@code buffers}; given out only when this member holds every one of them clean.
     */
    MemorySegment readChunks(long first, int count, IntFunction<MemorySegment> buffers) throws RequestException {
        if (count < 1 || (long) count * chunkSize > RmrCodec.MAX_DATA_BYTES) {
            throw new RequestException(Status.INVALID, "ReadChunks count " + count + " must be 1 to "
                    + RmrCodec.MAX_DATA_BYTES / chunkSize + " (" + RmrCodec.MAX_DATA_BYTES + " bytes)");
        }
        long length = 0;
        for (int i = 0; i < count; i++) {
            // first + i may overflow to a negative chunk, which is refused like any outside the store
            length += requireCleanChunk(first + i);
        }
        MemorySegment dst = buffers.apply(Math.toIntExact(length));
        store.run("chunk read", disk -> {
            disk.read(first * chunkSize, dst);
            return null;
        });
        // a chunk marked dirty here while it was read (a map update) must not reach the peer as clean
        for (int i = 0; i < count; i++) {
            requireCleanChunk(first + i);
        }
        return dst;
    }

    /** Verify: the CRC32C of a chunk this member holds clean, read while no write or install of it runs. */
    int chunkChecksum(long chunk) throws RequestException {
        try (ChunkLocks.Held _ = locks.exclusive(chunk)) {
            int length = requireCleanChunk(chunk);
            try (IoBuffer buffer = IoBuffers.shared().take(length)) {
                store.run("chunk read", disk -> {
                    disk.read(chunk * chunkSize, buffer.segment());
                    return null;
                });
                CRC32C crc = new CRC32C();
                crc.update(buffer.segment().asByteBuffer());
                return (int) crc.getValue();
            }
        }
    }

    /** Checks the store is mapped and the chunk is in range and clean here; returns the chunk's length. */
    private int requireCleanChunk(long chunk) throws RequestException {
        store.requireHealthy();
        StoreParams params = store.params();
        if (!params.mapped()) {
            throw new RequestException(Status.NOT_READY, "the store of pool " + pool + " on member " + member
                    + " is not mapped");
        }
        if (chunk < 0 || chunk >= params.chunkCount()) {
            throw new RequestException(Status.INVALID, "chunk " + chunk + " lies outside 0.."
                    + (params.chunkCount() - 1));
        }
        if (maps.own().isDirty(chunk)) {
            throw new RequestException(Status.DIRTY, "chunk " + chunk + " is dirty on member " + member);
        }
        return (int) Math.min(chunkSize, params.dataBytes() - chunk * chunkSize);
    }

    private void ensureClean(long offset, int length) throws RequestException {
        ChunkSource source = peers.get();
        for (long chunk = offset / chunkSize; chunk <= (offset + length - 1) / chunkSize; chunk++) {
            try {
                chunkSync.ensureClean(chunk, source);
            } catch (IOException e) {
                throw new RequestException(Status.DIRTY, "chunk " + chunk + " is dirty on member " + member
                        + " of pool " + pool + " and could not be synced: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Writes {@code count} fetched adjacent chunks, back to back in {@code data}, as one IO (not yet
     * durable), holding them shared so verify never reads them half-written.
     */
    private void installChunks(long first, int count, MemorySegment data) throws IOException {
        long offset = first * chunkSize;
        long expected = Math.min((long) count * chunkSize, store.params().dataBytes() - offset);
        if (data.byteSize() != expected) {
            throw new IOException("chunks " + first + ".." + (first + count - 1) + " arrived with " + data.byteSize()
                    + " bytes, expected " + expected);
        }
        try (ChunkLocks.Held _ = locks.shared(first, first + count - 1)) {
            store.run("sync write", disk -> {
                writeStore(disk, offset, data);
                return null;
            });
        } catch (RequestException e) {
            throw syncFailure(first, e);
        }
    }

    /** The bits are cleared only once the data is durable: a crash before this keeps the chunks dirty. */
    private void commitChunks(List<Long> chunks) throws IOException {
        try {
            flush();
            DirtyMap own = maps.own();
            long first = Long.MAX_VALUE;
            long last = -1;
            for (long chunk : chunks) {
                own.clear(chunk);
                first = Math.min(first, chunk);
                last = Math.max(last, chunk);
            }
            maps.persist(own, first, last + 1);
        } catch (RequestException e) {
            throw syncFailure(chunks.getFirst(), e);
        }
        peers.get().cleaned(chunks.stream().mapToLong(Long::longValue).toArray());
    }

    private IOException syncFailure(long chunk, RequestException e) {
        if (e.status() == Status.NOT_READY) {
            return new IOException("pool " + pool + " lost its store during the sync of chunk " + chunk, e);
        }
        return new IOException(e.getMessage(), e);
    }

    void checkRange(long offset, int length) throws RequestException {
        StoreParams params = store.params();
        if (offset < 0 || length <= 0 || offset > params.dataBytes() - length) {
            throw new RequestException(Status.INVALID, "range " + offset + "+" + length + " lies outside the "
                    + params.dataBytes() + " bytes of pool " + pool);
        }
        if (offset % params.sectorSize() != 0 || length % params.sectorSize() != 0) {
            throw new RequestException(Status.INVALID, "range " + offset + "+" + length + " is not aligned to "
                    + params.sectorSize() + "-byte sectors");
        }
    }

    /** Zeroes in pieces of one shared zero buffer, so that a long range costs no memory of its own. */
    private static void writeZeroes(PoolStore disk, long offset, int length) throws IOException {
        for (long done = 0; done < length; done += ZEROES.byteSize()) {
            disk.write(offset + done, ZEROES.asSlice(0, Math.min(ZEROES.byteSize(), length - done)));
        }
    }

    /**
     * Writes {@code data} as it is when direct IO can take it (native and aligned: a pooled buffer),
     * else through a pooled aligned copy.
     */
    private static void writeStore(PoolStore disk, long offset, MemorySegment data) throws IOException {
        if (data.isNative() && data.address() % Disk.BUFFER_ALIGNMENT == 0) {
            disk.write(offset, data);
            return;
        }
        try (IoBuffer buffer = IoBuffers.shared().take(Math.toIntExact(data.byteSize()))) {
            buffer.segment().copyFrom(data);
            disk.write(offset, buffer.segment());
        }
    }
}
