package brmr.rmr.client;

import brmr.rmr.protocol.Message;
import brmr.rmr.map.DirtyMap;
import brmr.rmr.map.MapSummary;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * What the compute client believes each member lacks. It only steers reads to legs that hold a chunk
 * clean; the legs' own maps are the record. Marked when a leg misses a write, taken over from a leg
 * after its map update, and refreshed from the legs in service as their syncs clear chunks.
 */
final class KnownDirty {
    /**
     * Per member its chunks; the map is replaced, never changed, under this when a member is added, so
     * reads and marks find a member's bits without a lock.
     */
    private volatile SortedMap<Integer, ChunkBits> maps = Collections.emptySortedMap();
    /** Written under this: chunks of the pool's store, known once a leg has answered; -1 before. */
    private volatile long chunkCount = -1;

    synchronized void chunkCount(long chunks) {
        if (chunkCount < 0 && chunks >= 0) {
            chunkCount = chunks;
        }
    }

    /** Whether the client knows of no dirty chunk of {@code member} in {@code first..last}; takes no lock. */
    boolean holdsClean(int member, long first, long last) {
        ChunkBits bits = maps.get(member);
        if (bits == null || first >= bits.capacity()) {
            return true;
        }
        return !bits.anySet(first, Math.min(last, bits.capacity() - 1));
    }

    void mark(List<Integer> members, long first, long last) {
        if (members.isEmpty() || chunkCount < 0) {
            return;
        }
        for (int member : members) {
            map(member, chunkCount).set(first, last);
        }
    }

    /** Takes a leg's maps, as it holds them after its map update. */
    void learn(Message.Maps update) {
        for (Message.MemberMap map : update.maps()) {
            map(map.member(), update.chunkCount()).assign(map.words());
        }
    }

    /**
     * Catches up with syncs: each leg in service with chunks the client believes it lacks is asked what
     * it still lacks itself. A leg that cannot answer is handed to {@code failed}.
     */
    void refresh(Supplier<List<Leg>> legs, BiConsumer<Leg, String> failed) {
        for (Leg leg : legs.get()) {
            ChunkBits known = maps.get(leg.memberId());
            if (leg.state() != SessionState.NORMAL || known == null || known.count() == 0) {
                continue;
            }
            try {
                if (leg.call(new Message.GetMaps()) instanceof Message.Maps reply) {
                    for (Message.MemberMap map : reply.maps()) {
                        if (map.member() == leg.memberId()) {
                            known.assign(map.words());
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
        return maps.keySet();
    }

    /** Per member the client has heard of: how many chunks it believes that member lacks. */
    Map<Integer, Long> dirtyCounts() {
        Map<Integer, Long> counts = new TreeMap<>();
        maps.forEach((member, bits) -> counts.put(member, bits.count()));
        return counts;
    }

    String summary() {
        List<DirtyMap> copies = new ArrayList<>();
        maps.forEach((member, bits) -> copies.add(new DirtyMap(member, bits.capacity(), bits.words())));
        return MapSummary.format(copies);
    }

    /** The member's bits, created (with {@code chunks} chunks) the first time the member is heard of. */
    private ChunkBits map(int member, long chunks) {
        ChunkBits bits = maps.get(member);
        if (bits != null) {
            return bits;
        }
        synchronized (this) {
            bits = maps.get(member);
            if (bits == null) {
                bits = new ChunkBits(chunks);
                SortedMap<Integer, ChunkBits> added = new TreeMap<>(maps);
                added.put(member, bits);
                maps = Collections.unmodifiableSortedMap(added);
            }
            return bits;
        }
    }
}
