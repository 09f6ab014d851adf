package brmr.rmr.server;

import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.StoreParams;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A store in memory that fails, or holds, its data writes, dirty-map, writer, in-service and
 * active-chunks persists when the test says so.
 */
final class FailingPoolStore implements PoolStore {
    private final MemoryPoolStore memory;
    volatile IOException failWrites;
    volatile IOException failReads;
    volatile IOException failPersists;
    volatile IOException failWriterPersists;
    volatile IOException failServicePersists;
    volatile IOException failActivePersists;
    /** The next active-chunks persist waits inside the store until {@link #releaseActive} is counted down. */
    private volatile boolean holdNextActive;
    final CountDownLatch activeHeld = new CountDownLatch(1);
    final CountDownLatch releaseActive = new CountDownLatch(1);
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

    /** The next active-chunks persist blocks inside the store until the test counts down {@link #releaseActive}. */
    void holdNextActivePersist() {
        holdNextActive = true;
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
            hold(writeHeld, release, "write");
        }
        throwIfSet(failWrites);
        memory.write(offset, src);
    }

    @Override
    public boolean discard(long offset, long length) throws IOException {
        throwIfSet(failWrites);
        return memory.discard(offset, length);
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

    @Override
    public long mapVersion() {
        return memory.mapVersion();
    }

    @Override
    public List<Integer> inService() {
        return memory.inService();
    }

    @Override
    public void persistService(long version, List<Integer> members) throws IOException {
        throwIfSet(failServicePersists);
        memory.persistService(version, members);
    }

    @Override
    public long[] loadActive() {
        return memory.loadActive();
    }

    @Override
    public void persistActive(long[] words, long fromChunk, long toChunk) throws IOException {
        if (holdNextActive) {
            holdNextActive = false;
            hold(activeHeld, releaseActive, "active-chunks persist");
        }
        throwIfSet(failActivePersists);
        memory.persistActive(words, fromChunk, toChunk);
    }

    /** Says the call is held, then waits for the test to release it. */
    private static void hold(CountDownLatch held, CountDownLatch released, String what) throws IOException {
        held.countDown();
        try {
            if (!released.await(30, TimeUnit.SECONDS)) {
                throw new IOException("the test never released the held " + what);
            }
        } catch (InterruptedException e) {
            throw new IOException("interrupted", e);
        }
    }

    private static void throwIfSet(IOException failure) throws IOException {
        if (failure != null) {
            throw failure;
        }
    }
}
