package brmr.metadata;

import brmr.device.DeviceException;
import brmr.device.Disk;
import brmr.device.DiskWindow;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A disk held in a byte array that checks direct-IO alignment the way a block device does. It may
 * claim a larger size than the array: IO beyond the array fails, as metadata IO never goes past
 * the bitmaps. A window is a view of the array, and IO overlapping an open window fails as on a
 * {@code BlockDevice}.
 */
final class MemoryDisk implements Disk {
    private final byte[] image;
    private final int sectorSize;
    private final long size;
    private int flushes;
    private int syncs;
    /** The open window's range, or null. */
    private long[] mapped;

    MemoryDisk(byte[] image, int sectorSize, long size) {
        if (size < image.length) {
            throw new IllegalArgumentException("size " + size + " below the image of " + image.length);
        }
        this.image = image;
        this.sectorSize = sectorSize;
        this.size = size;
    }

    MemoryDisk(byte[] image, int sectorSize) {
        this(image, sectorSize, image.length);
    }

    /** A zeroed disk big enough for the store {@code m}, with an array that ends where its bitmaps end. */
    static MemoryDisk forStore(StoreMetadata m) {
        MetadataLayout layout = m.layout();
        return new MemoryDisk(new byte[Math.toIntExact(layout.bitmapOffset() + layout.bitmapBytes())],
                m.sectorSize(), layout.requiredDeviceBytes());
    }

    /** A disk with the same size and sector size holding {@code newImage}. */
    MemoryDisk withImage(byte[] newImage) {
        return new MemoryDisk(newImage, sectorSize, size);
    }

    /** The live bytes of the disk (not a copy). */
    byte[] image() {
        return image;
    }

    int flushes() {
        return flushes;
    }

    /** How many window syncs ran. */
    int syncs() {
        return syncs;
    }

    @Override
    public long mapAlignment() {
        return BUFFER_ALIGNMENT;
    }

    @Override
    public DiskWindow mapWindow(long offset, long length) throws DeviceException {
        if (mapped != null || offset % BUFFER_ALIGNMENT != 0 || offset + length > image.length) {
            throw new DeviceException("mmap", name(), "cannot map " + offset + "+" + length);
        }
        mapped = new long[] {offset, offset + length};
        MemorySegment view = MemorySegment.ofArray(image).asSlice(offset, length);
        return new DiskWindow() {
            @Override
            public long offset() {
                return offset;
            }

            @Override
            public MemorySegment segment() {
                return view;
            }

            @Override
            public void sync(long at, long bytes) {
                syncs++;
            }

            @Override
            public void close() {
                mapped = null;
            }
        };
    }

    @Override
    public String name() {
        return "memory" + sectorSize;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public boolean directIo() {
        return true;
    }

    @Override
    public void read(long offset, MemorySegment dst) {
        checkRange(offset, dst);
        MemorySegment.copy(image, (int) offset, dst, ValueLayout.JAVA_BYTE, 0, (int) dst.byteSize());
    }

    @Override
    public void write(long offset, MemorySegment src) {
        checkRange(offset, src);
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, image, (int) offset, (int) src.byteSize());
    }

    @Override
    public void flush() {
        flushes++;
    }

    @Override
    public void close() {
    }

    private void checkRange(long offset, MemorySegment buffer) {
        long length = buffer.byteSize();
        if (mapped != null && offset < mapped[1] && mapped[0] < offset + length) {
            throw new IllegalStateException("IO at " + offset + "+" + length + " overlaps the mapped window");
        }
        if (offset < 0 || offset + length > image.length) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside the metadata area of "
                    + image.length + " bytes");
        }
        if (offset % sectorSize != 0 || length % sectorSize != 0 || !buffer.isNative()
                || buffer.address() % BUFFER_ALIGNMENT != 0) {
            throw new IllegalArgumentException("unaligned direct IO: offset " + offset + " length " + length);
        }
    }
}
