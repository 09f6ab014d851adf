package brmr.rmr.server;

import brmr.rmr.adapter.PoolStore;
import brmr.rmr.map.DirtyMap;
import brmr.rmr.map.MapSummary;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Status;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.LongStream;

/**
 * The dirty map of every member that one registered store holds, in memory and persisted on that
 * store. Every change is persisted before the call returns. Lock order: a member's persist lock,
 * then this, then the {@link DirtyMap}'s own monitor.
 */
final class DirtyMaps {
    private final int ownMember;
    private final long chunkCount;
    private final StoreAccess store;
    /** Member id to its map; guarded by this. */
    private final Map<Integer, DirtyMap> maps = new TreeMap<>();
    /** This member's map, never replaced: every IO asks it, without this lock. */
    private final DirtyMap own;
    /** Member id to the lock that orders the persists of its map; guarded by this. */
    private final Map<Integer, Object> persistLocks = new TreeMap<>();

    /** Loads the maps persisted on the store; this member's own map exists even when none is persisted. */
    DirtyMaps(int ownMember, StoreAccess store) throws IOException {
        this.ownMember = ownMember;
        this.store = store;
        PoolStore disk = store.store();
        this.chunkCount = disk.params().chunkCount();
        maps.put(ownMember, new DirtyMap(ownMember, chunkCount));
        for (int member : disk.persistedMembers()) {
            maps.put(member, new DirtyMap(member, chunkCount, disk.loadDirty(member)));
        }
        this.own = maps.get(ownMember);
    }

    long chunkCount() {
        return chunkCount;
    }

    DirtyMap own() {
        return own;
    }

    synchronized Optional<DirtyMap> find(int member) {
        return Optional.ofNullable(maps.get(member));
    }

    synchronized List<DirtyMap> all() {
        return new ArrayList<>(maps.values());
    }

    private synchronized DirtyMap mapFor(int member) {
        return maps.computeIfAbsent(member, m -> new DirtyMap(m, chunkCount));
    }

    /**
     * Marks chunks dirty for this member and persists the range they span in one write; returns
     * {first, last} of that range, or null when no chunk was given.
     */
    long[] markOwn(LongStream chunks) throws RequestException {
        DirtyMap own = own();
        long[] range = {Long.MAX_VALUE, -1};
        boolean[] changed = {false};
        try {
            chunks.forEach(chunk -> {
                changed[0] |= own.mark(chunk);
                range[0] = Math.min(range[0], chunk);
                range[1] = Math.max(range[1], chunk);
            });
        } catch (IndexOutOfBoundsException e) {
            throw new RequestException(Status.INVALID, e.getMessage());
        }
        if (range[1] < 0) {
            return null;
        }
        if (changed[0]) {
            persist(own, range[0], range[1] + 1);
        }
        return range;
    }

    /** Members missed chunks {@code first..last}: remember it durably. */
    void mark(List<Integer> members, long first, long last) throws RequestException {
        if (first < 0 || last < first || last >= chunkCount) {
            throw new RequestException(Status.INVALID, "chunks " + first + ".." + last + " lie outside 0.."
                    + (chunkCount - 1));
        }
        for (int member : members) {
            DirtyMap map = mapFor(member);
            boolean changed = false;
            for (long chunk = first; chunk <= last; chunk++) {
                changed |= map.mark(chunk);
            }
            if (changed) {
                persist(map, first, last + 1);
            }
        }
    }

    /** A member now holds these chunks; only a map this store already holds changes. */
    void clear(int member, long[] chunks) throws RequestException {
        DirtyMap map = find(member).orElse(null);
        if (map == null) {
            return;
        }
        long first = Long.MAX_VALUE;
        long last = -1;
        try {
            for (long chunk : chunks) {
                if (map.clear(chunk)) {
                    first = Math.min(first, chunk);
                    last = Math.max(last, chunk);
                }
            }
        } catch (IndexOutOfBoundsException e) {
            throw new RequestException(Status.INVALID, e.getMessage());
        }
        if (last >= 0) {
            persist(map, first, last + 1);
        }
    }

    Message.Maps toMessage() {
        List<Message.MemberMap> members = new ArrayList<>();
        for (DirtyMap map : all()) {
            members.add(new Message.MemberMap(map.memberId(), map.words()));
        }
        return new Message.Maps(chunkCount, members);
    }

    /**
     * The client's map update: the maps of other members are replaced by the client's; this member's
     * own map only gains bits, since what it lacks it still lacks. Returns how many maps changed.
     * The caller has checked that the update covers {@link #chunkCount()} chunks.
     */
    int assign(Message.Maps update) throws RequestException {
        Map<Integer, long[]> given = new TreeMap<>();
        for (Message.MemberMap map : update.maps()) {
            given.put(map.member(), map.words());
            mapFor(map.member());
        }
        List<DirtyMap> changed = new ArrayList<>();
        for (DirtyMap map : all()) {
            if (map.assign(given.getOrDefault(map.memberId(), new long[0]), map.memberId() == ownMember)) {
                changed.add(map);
            }
        }
        for (DirtyMap map : changed) {
            persist(map, 0, chunkCount);
        }
        return changed.size();
    }

    synchronized String summary() {
        return MapSummary.format(maps.values());
    }

    synchronized String bits() {
        return MapSummary.bits(maps.values());
    }

    /** Persists chunks {@code [from, to)} of a map; the bits are read under the member's persist lock, so the last write wins. */
    void persist(DirtyMap map, long from, long to) throws RequestException {
        Object lock;
        synchronized (this) {
            lock = persistLocks.computeIfAbsent(map.memberId(), m -> new Object());
        }
        synchronized (lock) {
            store.run("dirty map of member " + map.memberId(),
                    disk -> {
                        disk.persistDirty(map.memberId(), map.words(), from, to);
                        return null;
                    });
        }
    }
}
