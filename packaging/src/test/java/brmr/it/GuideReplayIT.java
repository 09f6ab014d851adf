package brmr.it;

import static brmr.it.Expect.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upstream operator guide, replayed line by line through {@code brmrctl write/read} of the image:
 * create, sessions, sync pools, initial sync, map, IO with fio through NBD, health, maintenance,
 * node crash recovery, client crash recovery, replace, disassemble, assemble again, delete. The lines
 * live unchanged in {@code cluster-management-guide.txt}; between its steps the test does what the
 * operator does outside brmrctl (kill -9 a daemon, start one again).
 *
 * <p>The only rewrite of the guide's lines: its machines' addresses and disks are this machine's.
 * <table>
 *   <caption>substitutions</caption>
 *   <tr><th>the guide writes</th><th>on</th><th>the test uses</th></tr>
 *   <tr><td>192.168.122.80</td><td>any</td><td>127.0.0.2 (node 42 listens on 127.0.0.2:7474, the default port)</td></tr>
 *   <tr><td>192.168.122.84</td><td>any</td><td>127.0.0.3 (node 43 listens on 127.0.0.3:7474)</td></tr>
 *   <tr><td>/dev/sda</td><td>node 42</td><td>disk42: a loop device over a file (a file without root)</td></tr>
 *   <tr><td>/dev/sda</td><td>node 43</td><td>disk43, alike</td></tr>
 *   <tr><td>/dev/sda_new</td><td>node 43</td><td>disk43new, alike: the disk that replaces disk43</td></tr>
 * </table>
 */
class GuideReplayIT {
    private static final String GUIDE = "cluster-management-guide.txt";
    private static final String POOL = "ionos_pool";
    private static final long MAPPED_SIZE = 204800;
    private static final int CHUNK = 131072;
    private static final Duration SETTLE = Duration.ofSeconds(60);
    private static final Map<String, String> LISTEN = Map.of("node 42", "127.0.0.2:7474", "node 43", "127.0.0.3:7474");

    @TempDir
    Path dir;

    private final Map<String, DaemonProcess> daemons = new LinkedHashMap<>();
    private final List<TestDisk> disks = new ArrayList<>();
    private final Map<String, TestDisk> disk = new LinkedHashMap<>();
    private int fioRuns;
    private int starts;

    @BeforeEach
    void tools() {
        Fio.requireNbdEngine();
    }

    @AfterEach
    void stop() throws IOException {
        List<DaemonProcess> started = new ArrayList<>(daemons.values());
        java.util.Collections.reverse(started);
        for (DaemonProcess daemon : started) {
            daemon.close();
        }
        disks.forEach(TestDisk::close);
    }

    /** The guide's line with this machine's addresses and {@code who}'s disks (the table in the class comment). */
    private String substitute(String line) {
        String who = line.substring(0, line.indexOf(':'));
        String here = line.replaceAll("\\b192\\.168\\.122\\.80\\b", "127.0.0.2")
                .replaceAll("\\b192\\.168\\.122\\.84\\b", "127.0.0.3");
        for (String device : List.of("/dev/sda_new", "/dev/sda")) {
            TestDisk mine = disk.get(who + " " + device);
            if (mine != null) {
                here = here.replaceAll(java.util.regex.Pattern.quote(device) + "(?![\\w])", mine.path().toString());
            }
        }
        return here;
    }

    /**
     * Starts the daemon of {@code who} with a state dir of its own for each start: as in the guide, the
     * operator types the configuration of a restarted daemon again, and the new client is a new one.
     */
    private void start(String who) throws IOException {
        Path stateDir = dir.resolve(who.replace(' ', '-') + "-" + ++starts);
        daemons.put(who, who.equals("client") ? DaemonProcess.client(stateDir)
                : DaemonProcess.storageListening(stateDir, LISTEN.get(who)));
    }

    private void kill(String who) {
        daemons.get(who).kill();
    }

    /** Runs every line of a step; a read with an expected output is read again until it shows it. */
    private void replay(GuideScript guide, String step) throws Exception {
        System.out.println("[brmr tests] guide step: " + step);
        for (GuideScript.Line line : guide.step(step)) {
            DaemonProcess daemon = daemons.get(line.who());
            switch (line.kind()) {
                case WRITE -> {
                    CommandResult result = daemon.ctl("write", line.path(), line.value());
                    assertEquals(0, result.exit(), () -> line + "\n" + result);
                }
                case READ -> {
                    if (line.expected() == null) {
                        CommandResult result = daemon.ctl("read", line.path());
                        assertEquals(0, result.exit(), () -> line + "\n" + result);
                    } else {
                        Expect.eventually(SETTLE, line.toString(), () -> read(daemon, line.path()), line::shows);
                    }
                }
                case FIO -> fio(line);
            }
        }
    }

    private static String read(DaemonProcess daemon, String path) {
        CommandResult result = daemon.ctl("read", path);
        return result.exit() == 0 ? result.out() : result.toString();
    }

    /** The guide's fio line, through the NBD export of brmr0: every write done and verified. */
    private void fio(GuideScript.Line line) throws Exception {
        String uri = ok(daemons.get("client").ctl("read", "brmr-client/ctl/devices/brmr0/nbd")).strip();
        List<String> options = List.of(line.value().split("\\s+"));
        try (Fio fio = Fio.start(dir, "guide" + ++fioRuns, uri, false, options.toArray(String[]::new))) {
            Fio.Report report = fio.await(Duration.ofMinutes(5));
            report.assertNoErrors();
            assertEquals(25L << 20, report.bytes("write"), report::toString);
        }
    }

    @Test
    void theGuideRunsAsWritten() throws Exception {
        long diskBytes = LocalPool.diskBytes(MAPPED_SIZE, CHUNK);
        for (String name : List.of("node 42 /dev/sda", "node 43 /dev/sda", "node 43 /dev/sda_new")) {
            TestDisk created = TestDisk.create(dir, name.replace(' ', '-').replace("/", "_"), diskBytes);
            disks.add(created);
            disk.put(name, created);
        }
        GuideScript guide = GuideScript.load(GUIDE, this::substitute);
        start("node 42");
        start("node 43");
        start("client");
        for (String step : List.of("create", "sessions", "sync pools", "initial sync", "map", "io", "health",
                "maintenance")) {
            replay(guide, step);
        }

        kill("node 43");
        Expect.eventually(SETTLE, "the client's leg to node 43 out of service",
                () -> read(daemons.get("client"), "rmr-client/pools/" + POOL + "/sessions/psrv0@stg-rmr1/state"),
                state -> Set.of("failed", "reconnecting").contains(state.strip()));
        replay(guide, "io");
        start("node 43");
        replay(guide, "node crash");

        kill("client");
        start("client");
        replay(guide, "client crash");
        replay(guide, "replace");
        replay(guide, "disassemble");
        replay(guide, "assemble");
        replay(guide, "delete");

        CommandResult deleted = daemons.get("node 43").ctl("examine", disk.get("node 43 /dev/sda_new").path().toString());
        assertEquals(disk.get("node 43 /dev/sda_new").path() + ": no brmr metadata\n", deleted.out(), deleted::toString);
        String kept = ok(daemons.get("node 42").ctl("examine", disk.get("node 42 /dev/sda").path().toString()));
        assertTrue(kept.contains("pool") && kept.contains(POOL), kept);
        assertEquals(List.of("create", "sessions", "sync pools", "initial sync", "map", "io", "health", "maintenance",
                "node crash", "client crash", "replace", "disassemble", "assemble", "delete"), guide.stepNames(),
                "every step of the guide was replayed");
    }
}
