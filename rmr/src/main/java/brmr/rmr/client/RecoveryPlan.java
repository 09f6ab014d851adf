package brmr.rmr.client;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How legs that come together with none in service agree on one truth: the rules, as a pure
 * function of what each leg recorded, so that they are tested by table.
 *
 * <ol>
 *   <li>The legs whose record is newest -- highest writer epoch, then highest map version -- are the
 *       source; the members they list as in service at that version are the current members.</li>
 *   <li>A current member that is not back is missing knowledge no other leg has: refused, naming it,
 *       unless forced.</li>
 *   <li>Two legs that each wrote, at different writer epochs, while the other was out of service hold
 *       writes the other lacks: a split brain, refused even when forced (one side must be discarded).</li>
 *   <li>A current member's own map is its record of itself; any other member's record is what the
 *       source legs recorded of it plus its own map (it still lacks what it lacked).</li>
 *   <li>Every chunk a leg may have written without the others having it (its active chunks), and that
 *       it does not itself lack, is marked as lacking for every other member, newest legs first, so
 *       the legs converge on one copy.</li>
 * </ol>
 */
final class RecoveryPlan {
    /** What one leg answered: its member id, its record of the pool's history and its dirty maps. */
    record LegRecord(int member, long writerEpoch, long mapVersion, List<Integer> inService,
            Map<Integer, long[]> maps, long[] activeChunks) {
    }

    /** What recovery leads to. */
    sealed interface Outcome permits Plan, Refused {
    }

    /**
     * The maps every leg takes (per member), the map version and members in service from then on,
     * and per leg how many of its active chunks became dirty marks for the others.
     */
    record Plan(Map<Integer, long[]> maps, long mapVersion, List<Integer> inService, Map<Integer, Integer> marked)
            implements Outcome {
    }

    /** Why the legs may not serve together, in one line. */
    record Refused(String reason) implements Outcome {
    }

    private RecoveryPlan() {
    }

    static Outcome plan(long chunkCount, List<LegRecord> legs, boolean force) {
        if (legs.isEmpty()) {
            return new Refused("no leg is connected");
        }
        int words = Math.toIntExact((chunkCount + 63) >>> 6);
        List<LegRecord> newestFirst = new ArrayList<>(legs);
        newestFirst.sort(Comparator.comparingLong(LegRecord::writerEpoch).thenComparingLong(LegRecord::mapVersion)
                .reversed());
        LegRecord source = newestFirst.getFirst();
        Set<Integer> back = new TreeSet<>();
        legs.forEach(leg -> back.add(leg.member()));
        Set<Integer> current = new TreeSet<>();
        for (LegRecord leg : legs) {
            if (leg.writerEpoch() == source.writerEpoch() && leg.mapVersion() == source.mapVersion()) {
                current.addAll(leg.inService());
                current.add(leg.member());
            }
        }
        String split = splitBrain(legs);
        if (split != null) {
            return new Refused(split);
        }
        if (!force) {
            for (int member : current) {
                if (!back.contains(member)) {
                    return new Refused("member " + member + " was in service at map version " + source.mapVersion()
                            + " (writer epoch " + source.writerEpoch() + "), after the last update of "
                            + staleNames(newestFirst, source) + "; bring member " + member
                            + " back or force with `map_device ... force=1`");
                }
            }
        }
        Map<Integer, long[]> maps = new TreeMap<>();
        Set<Integer> members = new TreeSet<>(back);
        legs.forEach(leg -> {
            members.addAll(leg.maps().keySet());
            members.addAll(leg.inService());
        });
        for (int member : members) {
            long[] merged = new long[words];
            LegRecord own = find(legs, member);
            boolean ownIsCurrent = own != null && current.contains(member);
            if (!ownIsCurrent) {
                for (LegRecord leg : legs) {
                    if (current.contains(leg.member()) || leg == source) {
                        or(merged, leg.maps().get(member));
                    }
                }
            }
            if (own != null) {
                or(merged, own.maps().get(member));
            }
            maps.put(member, merged);
        }
        Map<Integer, Integer> marked = new TreeMap<>();
        for (LegRecord leg : newestFirst) {
            int count = 0;
            long[] own = maps.get(leg.member());
            for (long chunk : leg.activeChunks()) {
                if (chunk < 0 || chunk >= chunkCount || isSet(own, chunk)) {
                    continue;
                }
                boolean changed = false;
                for (Map.Entry<Integer, long[]> other : maps.entrySet()) {
                    if (other.getKey() != leg.member() && !isSet(other.getValue(), chunk)) {
                        set(other.getValue(), chunk);
                        changed = true;
                    }
                }
                count += changed ? 1 : 0;
            }
            marked.put(leg.member(), count);
        }
        long version = newestFirst.stream().mapToLong(LegRecord::mapVersion).max().orElse(0) + 1;
        return new Plan(maps, version, List.copyOf(back), marked);
    }

    /**
     * Two legs that each went on writing, at different epochs, without the other: the first such pair
     * named, or null. Also asked when a leg joins legs in service.
     */
    static String splitBrain(List<LegRecord> legs) {
        for (LegRecord a : legs) {
            for (LegRecord b : legs) {
                if (a.member() < b.member() && a.writerEpoch() != b.writerEpoch()
                        && !a.inService().isEmpty() && !b.inService().isEmpty()
                        && !a.inService().contains(b.member()) && !b.inService().contains(a.member())) {
                    return "split brain: member " + a.member() + " went on at writer epoch " + a.writerEpoch()
                            + " without member " + b.member() + ", and member " + b.member()
                            + " went on at writer epoch " + b.writerEpoch() + " without member " + a.member()
                            + "; each holds writes the other lacks: write 1 to brmr-server/stores/<pool>/"
                            + "discard_my_data on the node whose writes are to be dropped, then assemble again";
                }
            }
        }
        return null;
    }

    private static String staleNames(List<LegRecord> newestFirst, LegRecord source) {
        List<String> names = new ArrayList<>();
        for (LegRecord leg : newestFirst) {
            if (leg.writerEpoch() != source.writerEpoch() || leg.mapVersion() != source.mapVersion()) {
                names.add("member " + leg.member());
            }
        }
        return names.isEmpty() ? "the legs that are back" : String.join(", ", names);
    }

    private static LegRecord find(List<LegRecord> legs, int member) {
        return legs.stream().filter(leg -> leg.member() == member).findFirst().orElse(null);
    }

    private static void or(long[] into, long[] words) {
        if (words == null) {
            return;
        }
        for (int i = 0; i < Math.min(into.length, words.length); i++) {
            into[i] |= words[i];
        }
    }

    private static boolean isSet(long[] words, long chunk) {
        return words != null && (words[(int) (chunk >>> 6)] & (1L << (chunk & 63))) != 0;
    }

    private static void set(long[] words, long chunk) {
        words[(int) (chunk >>> 6)] |= 1L << (chunk & 63);
    }
}
