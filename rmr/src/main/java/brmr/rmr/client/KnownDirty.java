package brmr.rmr.client;

import brmr.rmr.protocol.Message;
import brmr.rmr.map.DirtyMap;
import brmr.rmr.map.MapSummary;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * What the compute client believes each member lacks. It only steers reads to legs that hold a chunk
 * clean; the legs' own maps are the record. Marked when a leg misses a write, taken over from a leg
 * after its map update, and refreshed from the legs in service as their syncs clear chunks.
 */
final class KnownDirty {
    /** Guarded by this. */
    private final Map<Integer, DirtyMap> maps = new TreeMap<>();
    /** The keys of {@code maps}, replaced whenever a member is added, so writes read it without a lock. */
    private volatile Set<Integer> members = Set.of();
    /** Guarded by this: chunks of the pool's store, known once a leg has answered; -1 before. */
    private long chunkCount = -1;

    synchronized void chunkCount(long chunks) {
        if (chunkCount < 0 && chunks >= 0) {
            chunkCount = chunks;
        }
    }

    /** Whether the client knows of no dirty chunk of {@code member} in {@code first..last}. */
    synchronized boolean holdsClean(int member, long first, long last) {
        DirtyMap map = maps.get(member);
        if (map == null) {
            return true;
        }
        long next = map.nextDirty(first);
        return next < 0 || next > last;
    }

    synchronized void mark(List<Integer> members, long first, long last) {
        if (chunkCount < 0) {
            return;
        }
        for (int member : members) {
            DirtyMap map = map(member, chunkCount);
            for (long chunk = first; chunk <= last; chunk++) {
                map.mark(chunk);
            }
        }
    }

    /** Takes a leg's maps, as it holds them after its map update. */
    synchronized void learn(Message.Maps update) {
        for (Message.MemberMap map : update.maps()) {
            map(map.member(), update.chunkCount()).assign(map.words(), false);
        }
    }

    /**
     * Catches up with syncs: each leg in service with chunks the client believes it lacks is asked what
     * it still lacks itself. A leg that cannot answer is handed to {@code failed}.
     */
    void refresh(Supplier<List<Leg>> legs, BiConsumer<Leg, String> failed) {
        for (Leg leg : legs.get()) {
            DirtyMap known;
            synchronized (this) {
                known = maps.get(leg.memberId());
            }
            if (leg.state() != SessionState.NORMAL || known == null || known.dirtyCount() == 0) {
                continue;
            }
            try {
                if (leg.call(new Message.GetMaps()) instanceof Message.Maps reply) {
                    for (Message.MemberMap map : reply.maps()) {
                        if (map.member() == leg.memberId()) {
                            known.assign(map.words(), false);
                        }
                    }
                }
            } catch (IOException e) {
                failed.accept(leg, e.getMessage());
            }
        }
    }

    /** Every member the client has heard of, with a session or not; an unmodifiable snapshot. */
    Set<Integer> members() {
        return members;
    }

    /** Per member the client has heard of: how many chunks it believes that member lacks. */
    synchronized Map<Integer, Long> dirtyCounts() {
        Map<Integer, Long> counts = new TreeMap<>();
        maps.forEach((member, map) -> counts.put(member, map.dirtyCount()));
        return counts;
    }

    synchronized String summary() {
        return MapSummary.format(maps.values());
    }

    private DirtyMap map(int member, long chunks) {
        DirtyMap map = maps.get(member);
        if (map == null) {
            map = new DirtyMap(member, chunks);
            maps.put(member, map);
            members = Set.copyOf(maps.keySet());
        }
        return map;
    }
}
