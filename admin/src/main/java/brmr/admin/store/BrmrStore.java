package brmr.admin.store;

import brmr.device.BlockDevice;
import brmr.device.DeviceException;
import brmr.device.Disk;
import brmr.metadata.MetadataArea;
import brmr.metadata.StoreMetadata;
import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.StoreParams;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.UUID;

/** A brmr-server store: an open backend disk with its metadata, registered with one server pool. */
public final class BrmrStore implements PoolStore {
    private final BlockDevice device;
    private final MetadataArea area;
    private volatile StoreMetadata metadata;

    BrmrStore(BlockDevice device, MetadataArea area, StoreMetadata metadata) {
        this.device = device;
        this.area = area;
        this.metadata = metadata;
    }

    public StoreMetadata metadata() {
        return metadata;
    }

    public BlockDevice device() {
        return device;
    }

    public boolean isMapped() {
        return metadata.mapped();
    }

    @Override
    public StoreParams params() {
        StoreMetadata m = metadata;
        return new StoreParams(m.poolName(), m.memberId(), m.mappedSizeSectors(), m.chunkSize(), m.sectorSize(),
                m.mapped(), m.poolUuid());
    }

    @Override
    public String deviceName() {
        return device.name();
    }

    @Override
    public void read(long offset, MemorySegment dst) throws IOException {
        device.read(dataOffset(offset, dst), dst);
    }

    @Override
    public void write(long offset, MemorySegment src) throws IOException {
        device.write(dataOffset(offset, src), src);
    }

    private long dataOffset(long offset, MemorySegment buffer) throws DeviceException {
        StoreMetadata m = metadata;
        long dataBytes = m.mappedSizeSectors() * 512;
        if (offset < 0 || offset + buffer.byteSize() > dataBytes) {
            throw new DeviceException("io", device.name(), "range " + offset + "+" + buffer.byteSize()
                    + " lies outside the mapped size of " + dataBytes + " bytes");
        }
        return m.layout().dataOffset() + offset;
    }

    @Override
    public void flush() throws IOException {
        device.flush();
    }

    @Override
    public MemorySegment allocate(Arena arena, long size) {
        return Disk.allocate(arena, size);
    }

    @Override
    public int[] persistedMembers() {
        return Arrays.stream(metadata.slotMembers()).filter(member -> member >= 0).toArray();
    }

    @Override
    public long[] loadDirty(int memberId) throws IOException {
        StoreMetadata m = metadata;
        int slot = m.slotOf(memberId);
        return slot < 0 ? new long[0] : area.readBitmap(m, slot);
    }

    @Override
    public void persistDirty(int memberId, long[] words, long fromChunk, long toChunk) throws IOException {
        StoreMetadata m;
        synchronized (this) {
            m = metadata;
            if (m.slotOf(memberId) < 0) {
                m = area.update(m.withSlotFor(memberId));
                metadata = m;
            }
        }
        area.writeBitmap(m, m.slotOf(memberId), words, fromChunk, toChunk);
    }

    @Override
    public synchronized void persistMapped(UUID poolUuid) throws IOException {
        metadata = area.update(metadata.withMapped(poolUuid));
    }

    @Override
    public synchronized void persistUnmapped() throws IOException {
        metadata = area.update(metadata.withUnmapped());
    }

    @Override
    public long writerEpoch() {
        return metadata.writerEpoch();
    }

    @Override
    public UUID writerClient() {
        return metadata.writerClient();
    }

    @Override
    public synchronized void persistWriter(long epoch, UUID client) throws IOException {
        metadata = area.update(metadata.withWriter(epoch, client));
    }

    /** Adopts the metadata as written (with its generation) after a create. */
    synchronized void replaceMetadata(StoreMetadata written) {
        metadata = written;
    }

    /** Zeroes the metadata so the disk counts as empty again. */
    synchronized void erase() throws IOException {
        area.erase();
    }

    void close() throws DeviceException {
        device.close();
    }
}
