package brmr.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A page-aligned range of a block device or regular file mapped MAP_SHARED; {@link #sync} is
 * msync(MS_SYNC) of the pages a range touches. The segment belongs to a shared arena that is
 * closed before munmap, so a late access fails in Java instead of faulting.
 */
final class MappedWindow implements DiskWindow {
    private final String path;
    private final long offset;
    private final long pageSize;
    /** The whole mapping, the length rounded up to pages; used only for msync and munmap. */
    private final MemorySegment mapping;
    private final Arena arena;
    private final MemorySegment segment;
    private final Runnable onClose;
    /** Guarded by this: set once munmap ran, after which no msync may touch the mapping. */
    private boolean closed;

    private MappedWindow(String path, long offset, long pageSize, MemorySegment mapping, long length,
            Runnable onClose) {
        this.path = path;
        this.offset = offset;
        this.pageSize = pageSize;
        this.mapping = mapping;
        this.arena = Arena.ofShared();
        this.segment = NativeIo.scoped(mapping, length, arena);
        this.onClose = onClose;
    }

    /** Maps {@code length} bytes of {@code fd} at {@code offset}, a multiple of {@code pageSize}; runs {@code onClose} once unmapped. */
    static MappedWindow map(int fd, String path, long offset, long length, long pageSize, Runnable onClose)
            throws DeviceException {
        MemorySegment mapping = NativeIo.mmapShared(fd, path, offset, Math.ceilDiv(length, pageSize) * pageSize);
        return new MappedWindow(path, offset, pageSize, mapping, length, onClose);
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    /** The disk offset just after the last mapped page. */
    long end() {
        return offset + mapping.byteSize();
    }

    @Override
    public synchronized void sync(long at, long length) throws DeviceException {
        try {
            if (at < 0 || length < 0 || at + length > segment.byteSize()) {
                throw new DeviceException("msync", path, NativeIo.EINVAL, "range " + at + "+" + length
                        + " lies outside the window of " + segment.byteSize() + " bytes");
            }
            if (closed) {
                throw new DeviceException("msync", path, "the window is closed");
            }
            if (length == 0) {
                return;
            }
            long first = at / pageSize * pageSize;
            long end = Math.min(Math.ceilDiv(at + length, pageSize) * pageSize, mapping.byteSize());
            NativeIo.msync(path, mapping.asSlice(first, end - first));
        } catch (DeviceException e) {
            throw e.at(offset + at, length);
        }
    }

    @Override
    public void close() throws DeviceException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                arena.close();
                NativeIo.munmap(path, mapping);
            } finally {
                // the device must not keep refusing IO to a window that is gone (or half gone)
                onClose.run();
            }
        }
    }
}
