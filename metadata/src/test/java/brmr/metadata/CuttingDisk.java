package brmr.metadata;

import brmr.device.DeviceException;
import brmr.device.Disk;
import brmr.device.DiskWindow;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Records the writes and flushes of one operation on a memory disk, and rebuilds the image a crash
 * would leave: the writes in order, cut after a given number of bytes (at a sector boundary, or
 * inside a sector for a torn write), or everything up to a given flush. A window holds a copy of
 * its range; its sync is recorded as the write of each touched 4096-byte page in order, then a
 * flush (msync(MS_SYNC) returns once they are durable).
 */
final class CuttingDisk implements Disk {
    record Write(long offset, byte[] data) {
    }

    private final MemoryDisk disk;
    private final byte[] before;
    private final List<Write> writes = new ArrayList<>();
    private final List<Long> bytesAtFlush = new ArrayList<>();
    private long writtenBytes;
    private boolean mappable = true;

    CuttingDisk(MemoryDisk disk) {
        this.disk = disk;
        this.before = disk.image().clone();
    }

    List<Write> writes() {
        return List.copyOf(writes);
    }

    long writtenBytes() {
        return writtenBytes;
    }

    int flushes() {
        return bytesAtFlush.size();
    }

    /** How many bytes had been written when flush number {@code flush} (from 0) was issued. */
    long bytesBeforeFlush(int flush) {
        return bytesAtFlush.get(flush);
    }

    /** A disk like the recorded one holding {@code image}. */
    MemoryDisk diskWith(byte[] image) {
        return disk.withImage(image);
    }

    /** The image a crash leaves once the first {@code bytes} written bytes reached the disk. */
    byte[] imageCutAt(long bytes) {
        byte[] image = before.clone();
        long left = bytes;
        for (Write write : writes) {
            int length = (int) Math.min(left, write.data().length);
            System.arraycopy(write.data(), 0, image, (int) write.offset(), length);
            left -= length;
            if (left == 0) {
                break;
            }
        }
        return image;
    }

    /** The image a crash leaves when the writes after flush number {@code flush} are lost. */
    byte[] imageDroppingAfterFlush(int flush) {
        return imageCutAt(bytesBeforeFlush(flush));
    }

    @Override
    public String name() {
        return disk.name();
    }

    @Override
    public long size() {
        return disk.size();
    }

    @Override
    public int sectorSize() {
        return disk.sectorSize();
    }

    @Override
    public boolean directIo() {
        return disk.directIo();
    }

    @Override
    public void read(long offset, MemorySegment dst) {
        disk.read(offset, dst);
    }

    @Override
    public void write(long offset, MemorySegment src) {
        disk.write(offset, src);
        record(offset, src);
    }

    /** A page written back from a window: straight into the image (MemoryDisk checks direct-IO buffers). */
    private void writeRecorded(long offset, MemorySegment page) {
        MemorySegment.copy(page, ValueLayout.JAVA_BYTE, 0, disk.image(), (int) offset, (int) page.byteSize());
        record(offset, page);
    }

    private void record(long offset, MemorySegment src) {
        writes.add(new Write(offset, src.toArray(ValueLayout.JAVA_BYTE)));
        writtenBytes += src.byteSize();
    }

    /** Makes this disk say it cannot be mapped, as a disk whose page size does not fit the layout. */
    CuttingDisk withoutWindows() {
        mappable = false;
        return this;
    }

    @Override
    public long mapAlignment() {
        return mappable ? BUFFER_ALIGNMENT : 0;
    }

    /** The memory disk's own window is taken only so that it refuses IO overlapping this one. */
    @Override
    public DiskWindow mapWindow(long offset, long length) throws DeviceException {
        DiskWindow guard = disk.mapWindow(offset, length);
        MemorySegment copy = MemorySegment.ofArray(new byte[Math.toIntExact(length)]);
        MemorySegment.copy(disk.image(), (int) offset, copy, ValueLayout.JAVA_BYTE, 0, (int) length);
        return new DiskWindow() {
            @Override
            public long offset() {
                return offset;
            }

            @Override
            public MemorySegment segment() {
                return copy;
            }

            @Override
            public void sync(long at, long bytes) {
                long page = BUFFER_ALIGNMENT;
                for (long first = at / page * page; first < at + bytes; first += page) {
                    writeRecorded(offset + first, copy.asSlice(first, Math.min(page, length - first)));
                }
                flush();
            }

            @Override
            public void close() throws DeviceException {
                guard.close();
            }
        };
    }

    @Override
    public void flush() {
        disk.flush();
        bytesAtFlush.add(writtenBytes);
    }

    @Override
    public void close() {
    }
}
