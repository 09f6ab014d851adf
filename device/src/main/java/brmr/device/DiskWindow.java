package brmr.device;

import java.lang.foreign.MemorySegment;

/**
 * A range of a disk mapped into memory: stores into {@link #segment()} reach the disk by
 * {@link #sync}. While a window is open, its disk refuses reads and writes that overlap it, so the
 * mapped pages are never mixed with direct IO.
 */
public interface DiskWindow extends AutoCloseable {
    /** The disk byte offset of the segment's first byte. */
    long offset();

    /** The mapped bytes; invalid once the window is closed. */
    MemorySegment segment();

    /**
     * Makes the stores into {@code length} bytes at {@code offset} (relative to the window) durable
     * before returning, writing back only the pages that hold them.
     */
    void sync(long offset, long length) throws DeviceException;

    /** Unmaps the window; stores not yet synced may or may not reach the disk. */
    @Override
    void close() throws DeviceException;
}
