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
import java.util.List;
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

    @Override
    public boolean discard(long offset, long length) throws IOException {
        return device.discard(dataOffset(offset, length), length);
    }

    private long dataOffset(long offset, MemorySegment buffer) throws DeviceException {
        return dataOffset(offset, buffer.byteSize());
    }

    private long dataOffset(long offset, long length) throws DeviceException {
        StoreMetadata m = metadata;
        long dataBytes = m.mappedSizeSectors() * 512;
        if (offset < 0 || offset + length > dataBytes) {
            throw new DeviceException("io", device.name(), "range " + offset + "+" + length
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

    /** The members with a dirty map: slot owners that are member ids (not the active-chunks record). */
    @Override
    public int[] persistedMembers() {
        return Arrays.stream(metadata.slotMembers()).filter(member -> member >= 0).toArray();
    }

    @Override
    public long[] loadDirty(int memberId) throws IOException {
        return loadSlot(memberId);
    }

    @Override
    public void persistDirty(int memberId, long[] words, long fromChunk, long toChunk) throws IOException {
        persistSlot(memberId, words, fromChunk, toChunk);
    }

    @Override
    public long[] loadActive() throws IOException {
        return loadSlot(StoreMetadata.ACTIVE_CHUNKS);
    }

    @Override
    public void persistActive(long[] words, long fromChunk, long toChunk) throws IOException {
        persistSlot(StoreMetadata.ACTIVE_CHUNKS, words, fromChunk, toChunk);
    }

    private long[] loadSlot(int owner) throws IOException {
        StoreMetadata m = metadata;
        int slot = m.slotOf(owner);
        return slot < 0 ? new long[0] : area.readBitmap(m, slot);
    }

    /** Writes the bitmap of a slot owner (a member or the active-chunks record), taking a slot for it first. */
    private void persistSlot(int owner, long[] words, long fromChunk, long toChunk) throws IOException {
        StoreMetadata m;
        synchronized (this) {
            m = metadata;
            if (m.slotOf(owner) < 0) {
                try {
                    m = area.update(m.withSlotFor(owner));
                } catch (IllegalStateException e) {
                    throw new IOException(e.getMessage(), e);
                }
                metadata = m;
            }
        }
        area.writeBitmap(m, m.slotOf(owner), words, fromChunk, toChunk);
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

    @Override
    public long mapVersion() {
        return metadata.mapVersion();
    }

    @Override
    public List<Integer> inService() {
        return metadata.inService();
    }

    @Override
    public synchronized void persistService(long version, List<Integer> members) throws IOException {
        metadata = area.update(metadata.withService(version, members));
    }

    /** Adopts the metadata as written (with its generation) after a create. */
    synchronized void replaceMetadata(StoreMetadata written) {
        metadata = written;
    }

    /** Zeroes the metadata so the disk counts as empty again. */
    synchronized void erase() throws IOException {
        area.erase();
    }

    /** Unmaps the metadata's window first, so the area never holds a window of a closed device. */
    void close() throws DeviceException {
        try {
            area.close();
        } finally {
            device.close();
        }
    }
}
