package brmr.rmr.server;

import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.StoreParams;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A store held in memory, recording what the pool persists; once {@link #recordCalls} is called it
 * also logs, in order, the data writes and the persists of the active chunks, dirty maps and
 * in-service record.
 */
final class MemoryPoolStore implements PoolStore {
    private final MemorySegment data;
    private final Map<Integer, long[]> persisted = new TreeMap<>();
    private StoreParams params;
    int persistCalls;
    /** The writer as last persisted; guarded by this store's monitor. */
    private long writerEpoch;
    private UUID writerClient;
    /** The in-service record as last persisted; guarded by this store's monitor. */
    private long mapVersion;
    private List<Integer> inService = List.of();
    /** The active chunks as persisted; guarded by this store's monitor. */
    private long[] active = new long[0];
    /** How many times the active chunks were persisted; guarded by this store's monitor. */
    private int activePersists;
    /** The calls logged since {@link #recordCalls}, or null; guarded by this store's monitor. */
    private List<String> calls;

    MemoryPoolStore(StoreParams params) {
        this.params = params;
        this.data = Arena.ofAuto().allocate(params.dataBytes());
    }

    @Override
    public StoreParams params() {
        return params;
    }

    @Override
    public String deviceName() {
        return "memory:" + params.poolName();
    }

    @Override
    public void read(long offset, MemorySegment dst) {
        MemorySegment.copy(data, offset, dst, 0, dst.byteSize());
    }

    /** The segment the last {@link #write} got, to tell whether the caller's own buffer reached the store. */
    volatile MemorySegment lastWritten;

    @Override
    public void write(long offset, MemorySegment src) {
        lastWritten = src;
        log("write " + offset + "+" + src.byteSize());
        MemorySegment.copy(src, 0, data, offset, src.byteSize());
    }

    /** Whether {@link #discard} frees the range, or answers that the device cannot. */
    volatile boolean discards = true;

    @Override
    public boolean discard(long offset, long length) {
        if (!discards) {
            return false;
        }
        log("discard " + offset + "+" + length);
        data.asSlice(offset, length).fill((byte) 0);
        return true;
    }

    @Override
    public void flush() {
    }

    @Override
    public MemorySegment allocate(Arena arena, long size) {
        return arena.allocate(size, 4096);
    }

    @Override
    public synchronized int[] persistedMembers() {
        return persisted.keySet().stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public synchronized long[] loadDirty(int memberId) {
        long[] words = persisted.get(memberId);
        return words == null ? new long[0] : words.clone();
    }

    @Override
    public synchronized void persistDirty(int memberId, long[] words, long fromChunk, long toChunk)
            throws IOException {
        persistCalls++;
        log("dirty " + memberId + " " + fromChunk + ".." + toChunk);
        copyRange(words, persisted.computeIfAbsent(memberId, m -> new long[words.length]), fromChunk, toChunk);
    }

    private static void copyRange(long[] words, long[] stored, long fromChunk, long toChunk) {
        for (long c = fromChunk; c < toChunk; c++) {
            int w = (int) (c >>> 6);
            long bit = 1L << (c & 63);
            stored[w] = (words[w] & bit) != 0 ? stored[w] | bit : stored[w] & ~bit;
        }
    }

    @Override
    public synchronized long[] loadActive() {
        return active.clone();
    }

    @Override
    public synchronized void persistActive(long[] words, long fromChunk, long toChunk) {
        activePersists++;
        log("active " + fromChunk + ".." + toChunk);
        if (active.length < words.length) {
            active = Arrays.copyOf(active, words.length);
        }
        copyRange(words, active, fromChunk, toChunk);
    }

    synchronized int activePersists() {
        return activePersists;
    }

    /** The persisted active chunks, ascending. */
    synchronized long[] activeChunks() {
        return BitSet.valueOf(active).stream().asLongStream().toArray();
    }

    @Override
    public synchronized long mapVersion() {
        return mapVersion;
    }

    @Override
    public synchronized List<Integer> inService() {
        return inService;
    }

    /** Refuses what the store header refuses, naming map_version or in_service. */
    @Override
    public synchronized void persistService(long version, List<Integer> members) {
        if (version < 0) {
            throw new IllegalArgumentException("map_version must not be negative, got " + version);
        }
        if (members.size() > 8 || members.stream().distinct().count() != members.size()
                || members.stream().anyMatch(m -> m < 0)) {
            throw new IllegalArgumentException("in_service must be at most 8 distinct member ids, got " + members);
        }
        log("service " + version + " " + members);
        mapVersion = version;
        inService = List.copyOf(members);
    }

    /** From now on, logs the calls named in the class comment. */
    synchronized void recordCalls() {
        calls = new ArrayList<>();
    }

    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    private synchronized void log(String call) {
        if (calls != null) {
            calls.add(call);
        }
    }

    @Override
    public synchronized void persistMapped(UUID poolUuid) {
        params = new StoreParams(params.poolName(), params.memberId(), params.mappedSizeSectors(), params.chunkSize(),
                params.sectorSize(), true, poolUuid);
    }

    @Override
    public synchronized void persistUnmapped() {
        params = new StoreParams(params.poolName(), params.memberId(), params.mappedSizeSectors(), params.chunkSize(),
                params.sectorSize(), false, null);
        writerEpoch = 0;
        writerClient = null;
    }

    /** Refuses what the store header refuses: a negative epoch, a client missing for epoch 1 up or set for 0. */
    @Override
    public synchronized void persistWriter(long epoch, UUID client) {
        if (epoch < 0) {
            throw new IllegalArgumentException("writer_epoch must not be negative, got " + epoch);
        }
        if ((epoch == 0) != (client == null)) {
            throw new IllegalArgumentException("writer_client must be set exactly when writer_epoch is not 0, got "
                    + client + " for epoch " + epoch);
        }
        writerEpoch = epoch;
        writerClient = client;
    }

    @Override
    public synchronized long writerEpoch() {
        return writerEpoch;
    }

    @Override
    public synchronized UUID writerClient() {
        return writerClient;
    }

    synchronized long[] persisted(int memberId) {
        return persisted.getOrDefault(memberId, new long[0]).clone();
    }
}
