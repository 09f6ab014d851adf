package brmr.metadata;

import brmr.device.Disk;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Records the writes and flushes of one operation on a memory disk, and rebuilds the image a crash
 * would leave: the writes in order, cut after a given number of bytes (at a sector boundary, or
 * inside a sector for a torn write), or everything up to a given flush.
 */
final class CuttingDisk implements Disk {
    record Write(long offset, byte[] data) {
    }

    private final MemoryDisk disk;
    private final byte[] before;
    private final List<Write> writes = new ArrayList<>();
    private final List<Long> bytesAtFlush = new ArrayList<>();
    private long writtenBytes;

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
        writes.add(new Write(offset, src.toArray(ValueLayout.JAVA_BYTE)));
        writtenBytes += src.byteSize();
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
