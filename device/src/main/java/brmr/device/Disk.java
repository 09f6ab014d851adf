package brmr.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Byte-addressed storage with a logical sector size: a block device, a regular file, or (in tests)
 * something standing in for one. Offsets and lengths are multiples of {@link #sectorSize()} when
 * {@link #directIo()} is on, and buffers then come from {@link #allocate}.
 */
public interface Disk extends AutoCloseable {
    /** Memory alignment that satisfies O_DIRECT on every device we support. */
    long BUFFER_ALIGNMENT = 4096;

    /** The path (or name) used in messages. */
    String name();

    /** Size in bytes. */
    long size();

    /** Logical sector size in bytes (512 for regular files). */
    int sectorSize();

    /** Whether IO bypasses the page cache (O_DIRECT); buffers and offsets must then be aligned. */
    boolean directIo();

    /** Whether this is a block device (not a regular file or a stand-in for one). */
    default boolean isBlockDevice() {
        return false;
    }

    /** Reads exactly {@code dst.byteSize()} bytes at {@code offset}. */
    void read(long offset, MemorySegment dst) throws DeviceException;

    /** Writes all of {@code src} at {@code offset}. */
    void write(long offset, MemorySegment src) throws DeviceException;

    /**
     * Writes all of {@code src} at {@code offset} and makes that write durable before returning,
     * without waiting for other writes (as {@code O_DSYNC}); small metadata updates use it so that
     * they do not flush the data written meanwhile.
     */
    default void writeDurably(long offset, MemorySegment src) throws DeviceException {
        write(offset, src);
        flush();
    }

    /**
     * Frees the storage behind {@code length} bytes at {@code offset} so that they read as zeroes, and
     * returns true; returns false, having changed nothing, when this disk cannot (the caller writes
     * zeroes if it needs them). Durable, like a write, after the next {@link #flush()}.
     */
    default boolean discard(long offset, long length) throws DeviceException {
        return false;
    }

    /**
     * The alignment a {@link #mapWindow} offset needs (the page size), or 0 when this disk cannot be
     * mapped; callers then use {@link #writeDurably}.
     */
    default long mapAlignment() {
        return 0;
    }

    /**
     * Maps {@code length} bytes at {@code offset} (a multiple of {@link #mapAlignment()}) for reading
     * and writing. One window per disk at a time; reads and writes overlapping it are refused until it closes.
     */
    default DiskWindow mapWindow(long offset, long length) throws DeviceException {
        throw new DeviceException("mmap", name(), "this disk cannot be mapped");
    }

    /** Makes every completed write durable. */
    void flush() throws DeviceException;

    @Override
    void close() throws DeviceException;

    /** A zeroed buffer aligned for IO on any disk. */
    static MemorySegment allocate(Arena arena, long size) {
        return arena.allocate(size, BUFFER_ALIGNMENT);
    }
}
