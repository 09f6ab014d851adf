package brmr.rmr.server;

import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.StoreParams;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A store in memory that fails, or holds, its data writes, dirty-map and writer persists when the test says so. */
final class FailingPoolStore implements PoolStore {
    private final MemoryPoolStore memory;
    volatile IOException failWrites;
    volatile IOException failReads;
    volatile IOException failPersists;
    volatile IOException failWriterPersists;
    /** The next data write waits inside the store until {@link #release} is counted down. */
    private volatile boolean holdNext;
    final CountDownLatch writeHeld = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    FailingPoolStore(StoreParams params) {
        this.memory = new MemoryPoolStore(params);
    }

    MemoryPoolStore memory() {
        return memory;
    }

    /** The next data write blocks inside the store until the test counts down {@link #release}. */
    void holdNextWrite() {
        holdNext = true;
    }

    @Override
    public StoreParams params() {
        return memory.params();
    }

    @Override
    public String deviceName() {
        return memory.deviceName();
    }

    @Override
    public void read(long offset, MemorySegment dst) throws IOException {
        throwIfSet(failReads);
        memory.read(offset, dst);
    }

    @Override
    public void write(long offset, MemorySegment src) throws IOException {
        if (holdNext) {
            holdNext = false;
            writeHeld.countDown();
            try {
                if (!release.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("the test never released the held write");
                }
            } catch (InterruptedException e) {
                throw new IOException("interrupted", e);
            }
        }
        throwIfSet(failWrites);
        memory.write(offset, src);
    }

    @Override
    public void flush() {
        memory.flush();
    }

    @Override
    public MemorySegment allocate(Arena arena, long size) {
        return memory.allocate(arena, size);
    }

    @Override
    public int[] persistedMembers() {
        return memory.persistedMembers();
    }

    @Override
    public long[] loadDirty(int memberId) {
        return memory.loadDirty(memberId);
    }

    @Override
    public void persistDirty(int memberId, long[] words, long fromChunk, long toChunk) throws IOException {
        throwIfSet(failPersists);
        memory.persistDirty(memberId, words, fromChunk, toChunk);
    }

    @Override
    public void persistMapped(UUID poolUuid) {
        memory.persistMapped(poolUuid);
    }

    @Override
    public void persistUnmapped() {
        memory.persistUnmapped();
    }

    @Override
    public long writerEpoch() {
        return memory.writerEpoch();
    }

    @Override
    public UUID writerClient() {
        return memory.writerClient();
    }

    @Override
    public void persistWriter(long epoch, UUID client) throws IOException {
        throwIfSet(failWriterPersists);
        memory.persistWriter(epoch, client);
    }

    private static void throwIfSet(IOException failure) throws IOException {
        if (failure != null) {
            throw failure;
        }
    }
}
