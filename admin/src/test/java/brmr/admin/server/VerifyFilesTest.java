package brmr.admin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import brmr.admin.control.ControlException;
import brmr.device.BlockDevice;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The verify control files of a storage node: what they read before any start, and every bad write refused. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VerifyFilesTest {
    @TempDir
    static Path dir;

    private StorageNode node;

    @BeforeAll
    void poolWithAStoreThatIsNotNormal() throws Exception {
        node = new StorageNode(BlockDevice.DirectIo.OFF, pool -> List.of());
        Path disk = dir.resolve("disk.img");
        try (RandomAccessFile file = new RandomAccessFile(disk.toFile(), "rw")) {
            file.setLength(4L << 20);
        }
        node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=1");
        node.tree().write("rmr-server/ctl/join_pool", "poolname=p2 member_id=1");
        node.tree().write("brmr-server/ctl/create_store", "device=" + disk + " pool=p1 mapped_size=2048");
    }

    @AfterAll
    void removeStore() throws Exception {
        node.tree().write("brmr-server/stores/p1/remove_store", "1");
    }

    @Test
    void idleBeforeAnyStart() throws Exception {
        assertEquals("idle", node.tree().read("rmr-server/pools/p1/verify"));
        Map<String, Object> progress = JSON.std.mapFrom(node.tree().read("rmr-server/pools/p1/verify_progress"));
        assertEquals("idle", progress.get("state"));
        assertEquals(List.of(), progress.get("differing"));
        assertEquals(0, ((Number) progress.get("total")).intValue());
        assertEquals(null, progress.get("first"));
    }

    @ParameterizedTest(name = "{0} <- ''{1}''")
    @CsvSource(delimiter = '|', textBlock = """
            p1 | bogus                  | verify: 'bogus' is not start or stop
            p1 | ''                     | verify: '' is not start or stop
            p1 | stop now               | verify: stop takes no arguments (got 'now')
            p1 | start first=x          | first: 'x' is not a whole number
            p1 | start first=-1         | first: -1 is negative
            p1 | start last=-2          | last: -2 is negative
            p1 | start first=8          | first: 8 is beyond the pool's 8 chunks (0..7)
            p1 | start last=9000        | last: 9000 is beyond the pool's 8 chunks (0..7)
            p1 | start first=5 last=4   | last: 4 is before first=5
            p1 | start repair=2         | repair: must be 0 or 1 (got '2')
            p1 | start repair=yes       | repair: must be 0 or 1 (got 'yes')
            p1 | start colour=red       | colour: unknown field for verify; expected [first=] [last=] [repair=]
            p1 | start first=1 first=2  | first: given twice
            p1 | start last             | verify: 'last' is not of the form field=value; expected [first=] [last=] \
            [repair=]
            p1 | start                  | verify: pool p1 is registered; verify runs only in normal
            p1 | start first=2 repair=1 | verify: pool p1 is registered; verify runs only in normal
            p2 | start                  | verify: pool p2 has no store
            p9 | start                  | pool: p9 is not joined on this node (write rmr-server/ctl/join_pool first)
            """)
    void refusedWithOneLineAndNothingChanged(String pool, String value, String error) throws IOException,
            ControlException {
        String statusBefore = node.status();
        ControlException e = assertThrows(ControlException.class,
                () -> node.tree().write("rmr-server/pools/" + pool + "/verify", value));
        assertEquals(error, e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line");
        assertEquals("idle", node.tree().read("rmr-server/pools/p1/verify"), "no verify started");
        assertEquals(statusBefore, node.status());
    }
}
