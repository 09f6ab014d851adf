package brmr.admin.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.admin.control.ControlException;
import brmr.admin.control.ControlTree;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon's journal across a restart: what it recorded is replayed in order through the control files,
 * a failed step does not stop the rest, and a journal it cannot read or is told not to use is moved aside.
 */
class JournalRestoreTest {
    private static final JournalEntry JOIN = new JournalEntry(JournalEntry.Kind.POOL, "rmr-client/pools/p1",
            "rmr-client/ctl/join_pool", "poolname=p1 chunk_size=131072");
    private static final JournalEntry SESSION = new JournalEntry(JournalEntry.Kind.SESSION,
            "rmr-client/pools/p1/sessions/s1", "rmr-client/pools/p1/add_sess",
            "sessname=s1 path=ip:127.0.0.2 mode=assemble");
    private static final JournalEntry SESSION2 = new JournalEntry(JournalEntry.Kind.SESSION,
            "rmr-client/pools/p1/sessions/s2", "rmr-client/pools/p1/add_sess",
            "sessname=s2 path=ip:127.0.0.3 mode=assemble");
    private static final JournalEntry MAP = new JournalEntry(JournalEntry.Kind.DEVICE, "brmr-client/ctl/devices/brmr0",
            "brmr-client/ctl/map_device", "pool=p1 size=204800 device=brmr0");

    @TempDir
    Path dir;

    /** Written by the test and by the retries. */
    private final List<String> written = Collections.synchronizedList(new ArrayList<>());
    /** Whether the node that s2 goes to is up. */
    private volatile boolean s2Up;

    /**
     * Control files that log each write; add_sess of s2 is refused until its node is up, as is map_device
     * until s2 is there.
     */
    private ControlTree tree() {
        return new ControlTree()
                .writable("rmr-client/ctl/join_pool", (vars, value) -> log("join_pool", value))
                .writable("rmr-client/pools/{pool}/add_sess", (vars, value) -> {
                    if (value.contains("s2") && !s2Up) {
                        throw new ControlException("path", "cannot reach 127.0.0.3:7474: Connection refused");
                    }
                    return log("add_sess", value);
                })
                .writable("brmr-client/ctl/map_device", (vars, value) -> {
                    if (!written.contains("add_sess " + SESSION2.value())) {
                        throw new ControlException("pool", "pool p1 is not enabled");
                    }
                    return log("map_device", value);
                });
    }

    private String log(String file, String value) {
        written.add(file + " " + value);
        return "";
    }

    @Test
    void aRecordedConfigurationIsReplayedInOrderAndAFailedStepDoesNotStopTheRest() throws Exception {
        ConfigJournal first = JournalRestore.open(dir, true).journal();
        first.record(MAP);
        first.record(SESSION);
        first.record(JOIN);
        first.record(SESSION2);
        first.record(SESSION);
        assertEquals(List.of(JOIN, SESSION, SESSION2, MAP), first.entries(), "replay order: pools, sessions, devices");

        s2Up = true;
        try (JournalRestore restart = JournalRestore.open(dir, true)) {
            RestoreReport report = restart.replay(tree());
            assertEquals(List.of("join_pool poolname=p1 chunk_size=131072",
                    "add_sess sessname=s1 path=ip:127.0.0.2 mode=assemble",
                    "add_sess sessname=s2 path=ip:127.0.0.3 mode=assemble",
                    "map_device pool=p1 size=204800 device=brmr0"), written);
            assertEquals(RestoreReport.Outcome.RESTORED, report.outcome());
            assertEquals("restored: 1 pool, 2 sessions, 1 device", report.summary());
        }
    }

    @Test
    void aFailedStepIsRetriedUntilItsPeerIsUpAndTheStepsAfterItFollow() throws Exception {
        Stream.of(JOIN, SESSION, SESSION2, MAP).forEach(JournalRestore.open(dir, true).journal()::record);
        try (JournalRestore restart = JournalRestore.open(dir, true).retryingAfter(Duration.ofMillis(10))) {
            RestoreReport report = restart.replay(tree());
            assertEquals(List.of("join_pool poolname=p1 chunk_size=131072",
                    "add_sess sessname=s1 path=ip:127.0.0.2 mode=assemble"), written);
            assertEquals("restored: 1 pool, 1 session; 2 steps failed, retrying", report.summary());
            assertEquals(List.of("rmr-client/pools/p1/add_sess 'sessname=s2 path=ip:127.0.0.3 mode=assemble': path: "
                    + "cannot reach 127.0.0.3:7474: Connection refused", "brmr-client/ctl/map_device "
                    + "'pool=p1 size=204800 device=brmr0': pool: pool p1 is not enabled"), report.failures());
            assertEquals(List.of(JOIN, SESSION, SESSION2, MAP), restart.journal().entries(),
                    "a step that failed stays in the journal");

            s2Up = true;
            awaitSummary(report, "restored: 1 pool, 2 sessions, 1 device");
            assertEquals(List.of("add_sess sessname=s2 path=ip:127.0.0.3 mode=assemble",
                    "map_device pool=p1 size=204800 device=brmr0"), written.subList(2, written.size()));
        }
    }

    @Test
    void aCommandOnWhatAFailedStepConfiguresEndsItsRetries() throws Exception {
        Stream.of(JOIN, SESSION2).forEach(JournalRestore.open(dir, true).journal()::record);
        try (JournalRestore restart = JournalRestore.open(dir, true).retryingAfter(Duration.ofMillis(10))) {
            RestoreReport report = restart.replay(tree());
            assertEquals("restored: 1 pool; 1 step failed, retrying", report.summary());
            restart.journal().forget(SESSION2.key());
            awaitSummary(report, "restored: 1 pool");
            s2Up = true;
            assertEquals(List.of("join_pool poolname=p1 chunk_size=131072"), written);
        }
    }

    private static void awaitSummary(RestoreReport report, String summary) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!report.summary().equals(summary)) {
            assertTrue(System.nanoTime() < deadline, "still " + report.summary() + "; waited for " + summary);
            Thread.sleep(5);
        }
    }

    @Test
    void anInverseCommandRemovesTheEntryAndWhatLiesUnderIt() throws Exception {
        ConfigJournal journal = JournalRestore.open(dir, true).journal();
        JournalEntry enable = new JournalEntry(JournalEntry.Kind.ENABLE, "rmr-client/pools/p1/sessions/s1/enable",
                "rmr-client/pools/p1/sessions/s1/enable", "1");
        JournalEntry otherPool = new JournalEntry(JournalEntry.Kind.POOL, "rmr-client/pools/p10",
                "rmr-client/ctl/join_pool", "poolname=p10 chunk_size=131072");
        Stream.of(JOIN, SESSION, enable, SESSION2, otherPool).forEach(journal::record);

        journal.forget("rmr-client/pools/p1/sessions/s1");
        assertEquals(List.of(JOIN, otherPool, SESSION2), JournalRestore.open(dir, true).journal().entries());
        journal.forget("rmr-client/pools/p1");
        assertEquals(List.of(otherPool), JournalRestore.open(dir, true).journal().entries(),
                "p10 is not under p1");
        journal.record(SESSION);
        journal.forget("rmr-client/pools/p1");
        assertEquals(List.of(otherPool), journal.entries());
    }

    @Test
    void aDaemonWithoutAJournalStartsEmpty() {
        RestoreReport report = JournalRestore.open(dir, true).replay(tree());
        assertEquals(RestoreReport.Outcome.NOTHING, report.outcome());
        assertEquals("restored: nothing (no journal yet)", report.summary());
        assertEquals(List.of(), written);
        assertFalse(Files.exists(dir.resolve(ConfigJournal.FILE_NAME)), "nothing recorded, nothing written");
    }

    @Test
    void anUnreadableJournalIsSetAsideAndTheDaemonStartsEmpty() throws Exception {
        for (String bad : List.of("{\"version\":1,\"entries\":[{\"kind\":\"pool\"", "{\"version\":9,\"entries\":[]}")) {
            Files.writeString(dir.resolve(ConfigJournal.FILE_NAME), bad);
            JournalRestore restore = JournalRestore.open(dir, true);
            RestoreReport report = restore.replay(tree());
            assertEquals(RestoreReport.Outcome.SET_ASIDE, report.outcome());
            assertEquals(List.of(), written);
            assertEquals(List.of(), restore.journal().entries());
            Path aside = onlyAside("bad");
            assertEquals(bad, Files.readString(aside), "the operator keeps what could not be read");
            assertTrue(report.summary().startsWith("restored: nothing; journal " + dir.resolve("journal.json")
                    + " is unreadable ("), report.summary());
            assertTrue(report.summary().endsWith("kept as " + aside), report.summary());
            assertFalse(report.summary().contains("\n"));
            Files.delete(aside);

            restore.journal().record(JOIN);
            assertEquals(List.of(JOIN), JournalRestore.open(dir, true).journal().entries(),
                    "the daemon records into a new journal");
            Files.delete(dir.resolve(ConfigJournal.FILE_NAME));
        }
    }

    @Test
    void restoreNoStartsEmptyAndKeepsTheOldJournalAside() throws Exception {
        JournalRestore.open(dir, true).journal().record(JOIN);
        byte[] old = Files.readAllBytes(dir.resolve(ConfigJournal.FILE_NAME));

        JournalRestore restore = JournalRestore.open(dir, false);
        RestoreReport report = restore.replay(tree());
        assertEquals(RestoreReport.Outcome.OFF, report.outcome());
        assertEquals(List.of(), written);
        assertEquals(List.of(), restore.journal().entries());
        Path aside = onlyAside("skipped");
        assertEquals(new String(old, StandardCharsets.UTF_8), Files.readString(aside));
        assertEquals("restored: nothing (--restore no); kept as " + aside, report.summary());
        assertFalse(Files.exists(dir.resolve(ConfigJournal.FILE_NAME)), "the next start does not bring it back");
    }

    @Test
    void theStatusJsonCarriesTheSummaryAndEachFailure() {
        ConfigJournal journal = JournalRestore.open(dir, true).journal();
        journal.record(JOIN);
        journal.record(SESSION2);
        try (JournalRestore restart = JournalRestore.open(dir, true)) {
            RestoreReport report = restart.replay(tree());
            assertEquals("{outcome=restored, summary=restored: 1 pool; 1 step failed, retrying, restored={pool=1}, "
                    + "failed=[rmr-client/pools/p1/add_sess 'sessname=s2 path=ip:127.0.0.3 mode=assemble': path: "
                    + "cannot reach 127.0.0.3:7474: Connection refused]}", report.toJson().toString());
        }
    }

    private Path onlyAside(String why) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> aside = files.filter(p -> p.getFileName().toString().startsWith("journal.json." + why + "-"))
                    .toList();
            assertEquals(1, aside.size(), aside.toString());
            return aside.getFirst();
        }
    }
}
