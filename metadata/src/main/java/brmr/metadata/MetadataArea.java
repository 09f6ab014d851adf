package brmr.metadata;

import brmr.device.DeviceException;
import brmr.device.Disk;
import brmr.device.DiskWindow;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The metadata of one disk, read and written crash-safely: a crash during any method leaves the
 * disk with either the old or the new metadata. Two header copies alternate, so the write of a
 * new generation never touches the newest valid one. All IO is in aligned 4096-byte units.
 * With {@link BitmapWrites#MAPPED} the bitmap region is read and written only through an mmap
 * window (never by pread/pwrite while it is mapped), where the disk can map it at its page size;
 * elsewhere, and with {@link BitmapWrites#DSYNC}, bitmaps go through durable writes.
 */
public final class MetadataArea implements AutoCloseable {
    /** Size of one IO when zeroing or transferring the bitmap region. */
    private static final long IO_BYTES = 1L << 20;
    private static final int NO_COPY = -1;

    private final Disk disk;
    private final BitmapWrites bitmapWrites;
    /** The window over the bitmap region, mapped at first use in MAPPED mode; guarded by this. */
    private DiskWindow window;

    /** An area whose bitmaps go through durable writes: for one-off access, e.g. examining a disk. */
    public MetadataArea(Disk disk) {
        this(disk, BitmapWrites.DSYNC);
    }

    public MetadataArea(Disk disk, BitmapWrites bitmapWrites) {
        this.disk = Objects.requireNonNull(disk, "disk");
        this.bitmapWrites = Objects.requireNonNull(bitmapWrites, "bitmapWrites").forDisk(disk);
    }

    /** How this area makes bitmap updates durable (never {@link BitmapWrites#AUTO}: that is decided by the disk). */
    public BitmapWrites bitmapWrites() {
        return bitmapWrites;
    }

    public synchronized MetadataState read() throws DeviceException {
        return stateOf(readHeaders());
    }

    /**
     * Writes the metadata of a new store with generation 1 on a disk that has none. The bitmap is
     * zeroed and flushed before the header appears, so a present header never sees stale bits.
     */
    public synchronized StoreMetadata create(StoreMetadata fresh) throws DeviceException {
        MetadataLayout layout = fresh.layout();
        MetadataState state = read();
        if (!(state instanceof MetadataState.Absent)) {
            throw new IllegalStateException(disk.name() + " already holds " + describe(state));
        }
        if (layout.requiredDeviceBytes() > disk.size()) {
            throw new IllegalStateException("mapped_size of " + fresh.mappedSizeSectors()
                    + " sectors plus the metadata area need " + layout.requiredDeviceBytes() + " bytes, "
                    + disk.name() + " has " + disk.size());
        }
        if (fresh.sectorSize() != disk.sectorSize()) {
            throw new IllegalArgumentException("sector_size " + fresh.sectorSize() + " differs from the "
                    + disk.sectorSize() + "-byte sectors of " + disk.name());
        }
        zeroBitmaps(layout, layout.bitmapBytes());
        StoreMetadata written = fresh.withGeneration(1, fresh.updatedAtMillis());
        writeHeader(0, written);
        disk.flush();
        return written;
    }

    /**
     * Writes {@code next} as the newest generation into the copy that does not hold the newest valid
     * one, so a torn write leaves the previous metadata in force. Returns what it wrote.
     */
    public synchronized StoreMetadata update(StoreMetadata next) throws DeviceException {
        DecodedHeader[] copies = readHeaders();
        MetadataState state = stateOf(copies);
        if (!(state instanceof MetadataState.Present present)) {
            throw new IllegalStateException(disk.name() + " holds " + describe(state) + ", nothing to update");
        }
        StoreMetadata current = present.newest();
        checkFixedFields(current, next);
        StoreMetadata written = next.withGeneration(current.generation() + 1, System.currentTimeMillis());
        writeHeader(1 - newestValid(copies), written);
        disk.flush();
        return written;
    }

    /**
     * Removes the metadata: first the copy without the newest header, then the newest (from then on
     * the disk reads as having none), then the bitmap region, flushing after each step.
     */
    public synchronized void erase() throws DeviceException {
        DecodedHeader[] copies = readHeaders();
        if (copies.length == 0) {
            return;
        }
        MetadataState state = stateOf(copies);
        if (state instanceof MetadataState.Unsupported) {
            throw new IllegalStateException(disk.name() + " holds " + describe(state) + "; not erasing it");
        }
        int newest = newestValid(copies);
        int older = newest == 0 ? 1 : 0;
        zero(MetadataLayout.headerOffset(older), MetadataCodec.HEADER_BYTES);
        disk.flush();
        zero(MetadataLayout.headerOffset(1 - older), MetadataCodec.HEADER_BYTES);
        disk.flush();
        if (state instanceof MetadataState.Present present) {
            MetadataLayout layout = present.newest().layout();
            long block = MetadataLayout.BLOCK_BYTES;
            long onDisk = (disk.size() - layout.bitmapOffset()) / block * block;
            zeroBitmaps(layout, Math.min(layout.bitmapBytes(), onDisk));
        }
    }

    /** The bitmap of {@code slot}: bit c (word c / 64, bit c % 64) set means that member lacks chunk c. */
    public synchronized long[] readBitmap(StoreMetadata m, int slot) throws DeviceException {
        MetadataLayout layout = m.layout();
        long slotOffset = layout.slotOffset(slot);
        long[] words = new long[BitmapCodec.wordCount(layout.chunkCount())];
        long usedBytes = MetadataLayout.roundUp((long) words.length * Long.BYTES, MetadataLayout.BLOCK_BYTES);
        DiskWindow mapped = window(layout);
        if (mapped != null) {
            throughWindow("reading", () -> BitmapCodec.decode(
                    mapped.segment().asSlice(slotOffset - mapped.offset(), usedBytes), 0, layout.chunkCount(), words));
            return words;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = Disk.allocate(arena, Math.min(IO_BYTES, usedBytes));
            for (long at = 0; at < usedBytes; at += buffer.byteSize()) {
                MemorySegment piece = buffer.asSlice(0, Math.min(buffer.byteSize(), usedBytes - at));
                disk.read(slotOffset + at, piece);
                BitmapCodec.decode(piece, at, layout.chunkCount(), words);
            }
        }
        return words;
    }

    /**
     * Writes the 4096-byte blocks of {@code slot} that cover chunks {@code fromChunk} (inclusive) to
     * {@code toChunkExclusive}, taken from {@code words}, each durably (without flushing the data
     * written meanwhile, which a group of IO waits on); mapped, the blocks are stored into the window
     * and their pages synced. Torn writes are safe because
     * callers only set or only clear bits in one call, so every bit is left either old or new.
     */
    public synchronized void writeBitmap(StoreMetadata m, int slot, long[] words, long fromChunk,
            long toChunkExclusive) throws DeviceException {
        MetadataLayout layout = m.layout();
        long slotOffset = layout.slotOffset(slot);
        if (fromChunk < 0 || fromChunk > toChunkExclusive || toChunkExclusive > layout.chunkCount()) {
            throw new IllegalArgumentException("chunk range " + fromChunk + ".." + toChunkExclusive
                    + " is not within 0.." + layout.chunkCount());
        }
        if (words.length > BitmapCodec.wordCount(layout.chunkCount())) {
            throw new IllegalArgumentException("bitmap of " + words.length + " words is longer than the "
                    + BitmapCodec.wordCount(layout.chunkCount()) + " that hold " + layout.chunkCount() + " chunks");
        }
        if (fromChunk == toChunkExclusive) {
            return;
        }
        long block = MetadataLayout.BLOCK_BYTES;
        long from = fromChunk / Byte.SIZE / block * block;
        long to = MetadataLayout.roundUp(Math.ceilDiv(toChunkExclusive, Byte.SIZE), block);
        DiskWindow mapped = window(layout);
        if (mapped != null) {
            long at = slotOffset + from - mapped.offset();
            throughWindow("writing", () -> BitmapCodec.encode(words, layout.chunkCount(), from,
                    mapped.segment().asSlice(at, to - from)));
            mapped.sync(at, to - from);
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = Disk.allocate(arena, Math.min(IO_BYTES, to - from));
            for (long at = from; at < to; at += buffer.byteSize()) {
                MemorySegment piece = buffer.asSlice(0, Math.min(buffer.byteSize(), to - at));
                BitmapCodec.encode(words, layout.chunkCount(), at, piece);
                disk.writeDurably(slotOffset + at, piece);
            }
        }
    }

    /** Unmaps the bitmap window, if one is mapped; the disk stays open. */
    @Override
    public synchronized void close() throws DeviceException {
        if (window != null) {
            DiskWindow closing = window;
            window = null;
            closing.close();
        }
    }

    /**
     * The window over the bitmap region of {@code layout}, mapping it when needed; null, with any other
     * window closed, when bitmaps go through durable writes (DSYNC mode, or a disk that cannot map there).
     */
    private DiskWindow window(MetadataLayout layout) throws DeviceException {
        long alignment = disk.mapAlignment();
        long offset = layout.bitmapOffset();
        if (bitmapWrites != BitmapWrites.MAPPED || alignment == 0 || offset % alignment != 0
                || offset + layout.bitmapBytes() > disk.size()) {
            close();
            return null;
        }
        if (window != null && window.offset() == offset && window.segment().byteSize() == layout.bitmapBytes()
                && window.segment().scope().isAlive()) {
            return window;
        }
        close();
        window = disk.mapWindow(offset, layout.bitmapBytes());
        return window;
    }

    /** Zeroes the first {@code length} bytes of the bitmap region of {@code layout} durably. */
    private void zeroBitmaps(MetadataLayout layout, long length) throws DeviceException {
        DiskWindow mapped = window(layout);
        if (mapped == null) {
            zero(layout.bitmapOffset(), length);
            disk.flush();
        } else if (length > 0) {
            throughWindow("zeroing", () -> mapped.segment().asSlice(0, length).fill((byte) 0));
            mapped.sync(0, length);
        }
    }

    /** An access to the mapped bitmap region; a disk error there is a fault, not an errno. */
    @FunctionalInterface
    private interface WindowAccess {
        void run();
    }

    /**
     * Runs {@code access}, turning what a failing disk does to mapped memory (SIGBUS, which the JVM
     * raises as an InternalError) or a window closed under it into the DeviceException a failed pread would be.
     */
    private void throughWindow(String what, WindowAccess access) throws DeviceException {
        try {
            access.run();
        } catch (InternalError | IllegalStateException e) {
            throw new DeviceException("mmap", disk.name(), what + " the mapped bitmap region failed: " + e.getMessage());
        }
    }

    /** Both header copies decoded, or none when the disk is too small to hold them. */
    private DecodedHeader[] readHeaders() throws DeviceException {
        int copies = MetadataLayout.HEADER_COPIES;
        if (disk.size() < (long) copies * MetadataCodec.HEADER_BYTES) {
            return new DecodedHeader[0];
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment headers = Disk.allocate(arena, (long) copies * MetadataCodec.HEADER_BYTES);
            disk.read(MetadataLayout.headerOffset(0), headers);
            DecodedHeader[] decoded = new DecodedHeader[copies];
            for (int copy = 0; copy < copies; copy++) {
                decoded[copy] = MetadataCodec.decode(
                        headers.asSlice(MetadataLayout.headerOffset(copy), MetadataCodec.HEADER_BYTES));
            }
            return decoded;
        }
    }

    /** The index of the valid copy with the highest generation, or {@link #NO_COPY}. */
    private static int newestValid(DecodedHeader[] copies) {
        int newest = NO_COPY;
        long newestGeneration = 0;
        for (int copy = 0; copy < copies.length; copy++) {
            if (copies[copy] instanceof DecodedHeader.Valid valid && valid.metadata().generation() > newestGeneration) {
                newest = copy;
                newestGeneration = valid.metadata().generation();
            }
        }
        return newest;
    }

    private static MetadataState stateOf(DecodedHeader[] copies) {
        int futureVersion = 0;
        int valid = 0;
        boolean remnants = false;
        for (DecodedHeader copy : copies) {
            switch (copy) {
                case DecodedHeader.FutureVersion future -> futureVersion = Math.max(futureVersion, future.version());
                case DecodedHeader.Valid _ -> valid++;
                case DecodedHeader.Corrupt _ -> remnants = true;
                case DecodedHeader.NoMagic _ -> { }
            }
        }
        if (futureVersion > 0) {
            return new MetadataState.Unsupported(futureVersion);
        }
        if (valid == 0) {
            return new MetadataState.Absent(remnants);
        }
        return new MetadataState.Present(((DecodedHeader.Valid) copies[newestValid(copies)]).metadata(), valid);
    }

    private static void checkFixedFields(StoreMetadata current, StoreMetadata next) {
        checkFixed("store_uuid", current.storeUuid(), next.storeUuid());
        checkFixed("pool_name", current.poolName(), next.poolName());
        checkFixed("mapped_size", current.mappedSizeSectors(), next.mappedSizeSectors());
        checkFixed("chunk_size", current.chunkSize(), next.chunkSize());
        checkFixed("sector_size", current.sectorSize(), next.sectorSize());
        checkFixed("created", current.createdAtMillis(), next.createdAtMillis());
    }

    private static void checkFixed(String field, Object current, Object next) {
        if (!current.equals(next)) {
            throw new IllegalArgumentException("an update may not change " + field + " (" + current + " to " + next
                    + ")");
        }
    }

    private static String describe(MetadataState state) {
        return switch (state) {
            case MetadataState.Present p -> "metadata of pool " + p.newest().poolName() + " (store "
                    + p.newest().storeUuid() + ", generation " + p.newest().generation() + ")";
            case MetadataState.Absent _ -> "no metadata";
            case MetadataState.Unsupported u -> "metadata of format version " + u.version()
                    + ", newer than the supported " + MetadataCodec.FORMAT_VERSION;
        };
    }

    private void writeHeader(int copy, StoreMetadata metadata) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment header = Disk.allocate(arena, MetadataCodec.HEADER_BYTES);
            MetadataCodec.encode(metadata, header);
            disk.write(MetadataLayout.headerOffset(copy), header);
        }
    }

    /** Writes zeros over {@code length} bytes at {@code offset}, both 4096-byte aligned. */
    private void zero(long offset, long length) throws DeviceException {
        if (length <= 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment zeros = Disk.allocate(arena, Math.min(IO_BYTES, length));
            for (long at = 0; at < length; at += zeros.byteSize()) {
                disk.write(offset + at, zeros.asSlice(0, Math.min(zeros.byteSize(), length - at)));
            }
        }
    }
}
