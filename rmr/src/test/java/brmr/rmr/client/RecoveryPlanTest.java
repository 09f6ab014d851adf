package brmr.rmr.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import brmr.rmr.client.RecoveryPlan.LegRecord;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The recovery rules by table: for the records two or three legs bring back, which leg is the
 * source, what every member's map becomes, and when the legs are refused.
 */
class RecoveryPlanTest {
    private static final long CHUNKS = 128;

    /** A leg's record: member, epoch, version, members in service, maps as "member:chunk,chunk;...", active chunks. */
    private static LegRecord leg(int member, long epoch, long version, List<Integer> inService, String maps,
            long... active) {
        Map<Integer, long[]> parsed = new TreeMap<>();
        if (!maps.isEmpty()) {
            for (String entry : maps.split(";")) {
                String[] parts = entry.split(":", -1);
                long[] words = new long[2];
                if (!parts[1].isEmpty()) {
                    for (String chunk : parts[1].split(",")) {
                        long c = Long.parseLong(chunk);
                        words[(int) (c >>> 6)] |= 1L << (c & 63);
                    }
                }
                parsed.put(Integer.parseInt(parts[0]), words);
            }
        }
        return new LegRecord(member, epoch, version, inService, parsed, active);
    }

    /** The chunk numbers set in {@code words}. */
    private static long[] chunks(long[] words) {
        return LongStream.range(0, (long) words.length * 64)
                .filter(c -> (words[(int) (c >>> 6)] & (1L << (c & 63))) != 0).toArray();
    }

    private static String render(Map<Integer, long[]> maps) {
        StringBuilder text = new StringBuilder();
        maps.forEach((member, words) -> {
            text.append(text.isEmpty() ? "" : ";").append(member).append(':');
            long[] chunks = chunks(words);
            for (int i = 0; i < chunks.length; i++) {
                text.append(i == 0 ? "" : ",").append(chunks[i]);
            }
        });
        return text.toString();
    }

    /** Name, the legs that are back, the maps every leg takes. */
    static Stream<Arguments> plans() {
        return Stream.of(
                Arguments.of("both current, nothing missed",
                        List.of(leg(1, 1, 5, List.of(1, 2), "1:;2:"), leg(2, 1, 5, List.of(1, 2), "1:;2:")),
                        "1:;2:"),
                Arguments.of("the survivor's record of the failed member is kept, not wiped by the stale leg",
                        List.of(leg(1, 1, 6, List.of(1), "1:;2:10,11,100"), leg(2, 1, 5, List.of(1, 2), "1:;2:")),
                        "1:;2:10,11,100"),
                Arguments.of("order does not matter: the stale leg first",
                        List.of(leg(2, 1, 5, List.of(1, 2), "1:;2:"), leg(1, 1, 6, List.of(1), "1:;2:10,11,100")),
                        "1:;2:10,11,100"),
                Arguments.of("a stale leg keeps what it lacked itself (an unfinished resync)",
                        List.of(leg(1, 1, 6, List.of(1), "1:;2:3"), leg(2, 1, 5, List.of(1, 2), "1:;2:7")),
                        "1:;2:3,7"),
                Arguments.of("a current member's own map wins over a peer's older record of it (lost ChunksClean)",
                        List.of(leg(1, 1, 5, List.of(1, 2), "1:;2:4"), leg(2, 1, 5, List.of(1, 2), "1:;2:")),
                        "1:;2:"),
                Arguments.of("a stale leg's old record does not make the current leg lack what it holds",
                        List.of(leg(1, 2, 3, List.of(1), "1:;2:9"), leg(2, 1, 8, List.of(1, 2), "1:50;2:")),
                        "1:;2:9"),
                Arguments.of("a newer writer epoch beats a higher map version",
                        List.of(leg(1, 1, 9, List.of(1, 2), "1:;2:"), leg(2, 2, 1, List.of(2), "1:20;2:")),
                        "1:20;2:"),
                Arguments.of("a member without a leg keeps the source's record of it",
                        List.of(leg(1, 1, 4, List.of(1, 2), "1:;2:;3:5,6"), leg(2, 1, 4, List.of(1, 2), "1:;2:;3:5,6")),
                        "1:;2:;3:5,6"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void mapsEveryLegTakes(String name, List<LegRecord> legs, String maps) {
        RecoveryPlan.Plan plan = assertInstanceOf(RecoveryPlan.Plan.class, RecoveryPlan.plan(CHUNKS, legs, false));
        assertEquals(maps, render(plan.maps()));
        assertEquals(legs.stream().mapToLong(LegRecord::mapVersion).max().orElseThrow() + 1, plan.mapVersion());
    }

    @Test
    void activeChunksBecomeDirtyForTheOthersNewestLegFirstSkippingWhatALegLacks() {
        List<LegRecord> legs = List.of(
                leg(1, 1, 5, List.of(1, 2), "1:8;2:", 3, 4, 8),
                leg(2, 1, 5, List.of(1, 2), "1:;2:", 4, 9));
        RecoveryPlan.Plan plan = assertInstanceOf(RecoveryPlan.Plan.class, RecoveryPlan.plan(CHUNKS, legs, false));
        assertEquals("1:8,9;2:3,4", render(plan.maps()), "chunk 4 is active on both: the first leg's copy wins; "
                + "member 1 lacks chunk 8 itself, so its activity there marks nothing");
        assertEquals(Map.of(1, 2, 2, 1), plan.marked());
        assertEquals(List.of(1, 2), plan.inService());
    }

    @Test
    void aCurrentMemberThatIsNotBackIsNamedAndForceServesFromTheLegsThatAre() {
        List<LegRecord> legs = List.of(leg(2, 1, 5, List.of(1, 2), "1:;2:"), leg(3, 1, 4, List.of(1, 2, 3), "1:;2:;3:"));
        RecoveryPlan.Refused refused = assertInstanceOf(RecoveryPlan.Refused.class,
                RecoveryPlan.plan(CHUNKS, legs, false));
        assertEquals("member 1 was in service at map version 5 (writer epoch 1), after the last update of member 3; "
                + "bring member 1 back or force with `map_device ... force=1`", refused.reason());
        RecoveryPlan.Plan forced = assertInstanceOf(RecoveryPlan.Plan.class, RecoveryPlan.plan(CHUNKS, legs, true));
        assertEquals(List.of(2, 3), forced.inService());
    }

    @Test
    void theStaleLegAloneIsRefused() {
        RecoveryPlan.Refused refused = assertInstanceOf(RecoveryPlan.Refused.class,
                RecoveryPlan.plan(CHUNKS, List.of(leg(2, 1, 5, List.of(1, 2), "1:;2:")), false));
        assertEquals("member 1 was in service at map version 5 (writer epoch 1), after the last update of the legs "
                + "that are back; bring member 1 back or force with `map_device ... force=1`", refused.reason());
    }

    @Test
    void twoLegsThatEachWentOnWithoutTheOtherAtDifferentEpochsAreASplitBrainEvenWhenForced() {
        List<LegRecord> legs = List.of(leg(1, 2, 7, List.of(1), "1:;2:5"), leg(2, 1, 6, List.of(2), "1:6;2:"));
        for (boolean force : new boolean[] {false, true}) {
            RecoveryPlan.Refused refused = assertInstanceOf(RecoveryPlan.Refused.class,
                    RecoveryPlan.plan(CHUNKS, legs, force));
            assertEquals("split brain: member 1 went on at writer epoch 2 without member 2, and member 2 went on at "
                    + "writer epoch 1 without member 1; each holds writes the other lacks: write 1 to "
                    + "brmr-server/stores/<pool>/discard_my_data on the node whose writes are to be dropped, then "
                    + "assemble again", refused.reason());
        }
    }

    @Test
    void aFailoverWithinOneEpochIsNoSplitBrain() {
        List<LegRecord> legs = List.of(leg(1, 3, 7, List.of(1), "1:;2:5"), leg(2, 3, 6, List.of(2, 1), "1:;2:"));
        RecoveryPlan.Plan plan = assertInstanceOf(RecoveryPlan.Plan.class, RecoveryPlan.plan(CHUNKS, legs, false));
        assertArrayEquals(new long[] {5}, chunks(plan.maps().get(2)));
    }
}
