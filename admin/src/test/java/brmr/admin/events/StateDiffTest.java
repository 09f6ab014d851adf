package brmr.admin.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StateDiffTest {
    private static final Instant T = Instant.parse("2026-11-28T16:00:00Z");

    private static StateSnapshot snapshot(String s1, String s2, boolean secondPool) {
        StateSnapshot snapshot = new StateSnapshot();
        snapshot.object("pool", "name", "p1").put("in_service", "2/2");
        var one = snapshot.object("session", "name", "s1", "pool", "p1");
        one.put("state", s1);
        one.put("member", "1");
        var two = snapshot.object("session", "name", "psrv0@stg-rmr1", "pool", "p1");
        two.put("state", s2);
        two.put("member", "2");
        if (secondPool) {
            snapshot.object("pool", "name", "p2").put("in_service", "0/0");
        }
        return snapshot;
    }

    private static List<String> lines(List<StateEvent> events) {
        return events.stream().map(StateEvent::text).toList();
    }

    @Test
    void theInitialDumpListsEveryObjectWithAllFieldsAndEndsWithExistsDash() {
        assertEquals(List.of(
                "exists pool name:p1 in_service:2/2",
                "exists session name:s1 pool:p1 state:normal member:1",
                "exists session name:psrv0@stg-rmr1 pool:p1 state:normal member:2",
                "exists -"), lines(StateDiff.exists(snapshot("normal", "normal", false), T)));
    }

    @Test
    void aChangeNamesOnlyTheFieldsThatChanged() {
        assertEquals(List.of("change session name:psrv0@stg-rmr1 pool:p1 state:failed"),
                lines(StateDiff.between(snapshot("normal", "normal", false), snapshot("normal", "failed", false), T)));
    }

    @Test
    void nothingChangedGivesNoEvent() {
        assertEquals(List.of(), StateDiff.between(snapshot("normal", "normal", true), snapshot("normal", "normal",
                true), T));
    }

    @Test
    void newObjectsAreCreatedWithAllFieldsAndGoneOnesDestroyed() {
        assertEquals(List.of("create pool name:p2 in_service:0/0"),
                lines(StateDiff.between(snapshot("normal", "normal", false), snapshot("normal", "normal", true), T)));
        StateSnapshot empty = new StateSnapshot();
        assertEquals(List.of("destroy pool name:p2", "destroy session name:psrv0@stg-rmr1 pool:p1",
                "destroy session name:s1 pool:p1", "destroy pool name:p1"),
                lines(StateDiff.between(snapshot("normal", "normal", true), empty, T)));
    }

    @Test
    void aFieldThatIsGoneReadsAsEmpty() {
        StateSnapshot before = new StateSnapshot();
        before.object("sync", "pool", "p1").put("state", "running");
        StateSnapshot after = new StateSnapshot();
        after.object("sync", "pool", "p1");
        assertEquals(List.of("change sync pool:p1 state:\"\""), lines(StateDiff.between(before, after, T)));
    }

    @Test
    void valuesWithSpacesQuotesOrBackslashesAreQuotedSoALineSplitsOnSpaces() {
        assertEquals("plain", StateEvent.quote("plain"));
        assertEquals("\"disk gone\"", StateEvent.quote("disk gone"));
        assertEquals("\"a\\\"b\\\\c\\nd\"", StateEvent.quote("a\"b\\c\nd"));
    }
}
