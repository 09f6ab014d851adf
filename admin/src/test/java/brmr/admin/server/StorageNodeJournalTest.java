package brmr.admin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import brmr.admin.control.ControlException;
import brmr.admin.daemon.JournalEntry;
import brmr.admin.daemon.JournalRestore;
import brmr.device.BlockDevice;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storage node records what it accepted (joins, stores, add_clt) as the writes that bring it back, a
 * created store as one to re-add, and forgets it on the inverse command; a new node on the same state
 * directory comes back to the same pools and store.
 */
class StorageNodeJournalTest {
    private static final long DISK_BYTES = 16L << 20;

    @TempDir
    Path dir;

    private StorageNode node;
    private JournalRestore restore;

    @AfterEach
    void close() {
        if (restore != null) {
            restore.close();
        }
        if (node != null) {
            node.close();
        }
    }

    /** A node started as the daemon starts one: from the journal in its state directory. */
    private StorageNode start() {
        if (restore != null) {
            restore.close();
        }
        restore = JournalRestore.open(dir.resolve("state"), true);
        StorageNode started = new StorageNode(BlockDevice.DirectIo.OFF, pool -> List.of(), restore.journal());
        started.restored(restore.replay(started.tree()));
        return started;
    }

    private Path disk(String name) throws Exception {
        Path disk = dir.resolve(name);
        try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "rw")) {
            raf.setLength(DISK_BYTES);
        }
        return disk;
    }

    private List<String> journal() {
        return node.journal().entries().stream().map(e -> e.kind().label() + " " + e.path() + " " + e.value())
                .toList();
    }

    @Test
    void aRestartedNodeReaddsItsStoreToTheSamePoolNeverCreatesIt() throws Exception {
        Files.createDirectories(dir.resolve("state"));
        Path disk = disk("d.img");
        node = start();
        node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=42");
        node.tree().write("brmr-server/ctl/create_store", "device=" + disk + " pool=p1 mapped_size=20480");
        node.tree().write("rmr-client/ctl/join_pool", "poolname=p1 chunk_size=131072 sync=y");
        node.tree().write("rmr-server/pools/p1/add_clt", "p1");
        node.tree().write("rmr-client/pools/p1/peer_timeout", "12");
        String timeout = node.tree().read("rmr-client/pools/p1/peer_timeout");
        List<String> recorded = List.of(
                "pool rmr-server/ctl/join_pool poolname=p1 member_id=42 chunk_size=131072",
                "sync_pool rmr-client/ctl/join_pool poolname=p1 chunk_size=131072 sync=y",
                "setting rmr-client/pools/p1/peer_timeout 12",
                "link rmr-server/pools/p1/add_clt p1",
                "store brmr-server/ctl/add_store device=" + disk + " pool=p1 mapped_size=20480 mode=add");
        assertEquals(recorded, journal());
        node.close();

        node = start();
        assertEquals("restored: 2 pools, 1 store", summary());
        assertEquals("42", node.tree().read("rmr-server/pools/p1/member_id"));
        assertEquals("open", node.tree().read("brmr-server/stores/p1/state"));
        assertEquals(disk.toString(), node.tree().read("brmr-server/stores/p1/bdev_name"));
        assertEquals(timeout, node.tree().read("rmr-client/pools/p1/peer_timeout"));
        assertEquals(recorded, journal(), "the replay records nothing new");
    }

    private String summary() throws Exception {
        String status = node.status();
        int at = status.indexOf("\"summary\":\"") + 11;
        return status.substring(at, status.indexOf('"', at));
    }

    @Test
    void inverseCommandsForgetWhatTheyUndo() throws Exception {
        Files.createDirectories(dir.resolve("state"));
        Path disk = disk("d.img");
        node = start();
        node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=1");
        node.tree().write("rmr-server/ctl/join_pool", "poolname=p2 member_id=1");
        node.tree().write("brmr-server/ctl/create_store", "device=" + disk + " pool=p1 mapped_size=20480");
        node.tree().write("rmr-client/ctl/join_pool", "poolname=p2 chunk_size=131072 sync=y");
        node.tree().write("rmr-server/pools/p2/add_clt", "poolname=p2");

        node.tree().write("brmr-server/stores/p1/remove_store", "1");
        assertEquals(List.of(JournalEntry.Kind.POOL, JournalEntry.Kind.POOL, JournalEntry.Kind.SYNC_POOL,
                JournalEntry.Kind.LINK), kinds());
        node.tree().write("brmr-server/ctl/add_store", "device=" + disk + " pool=p1");
        assertEquals(JournalEntry.Kind.STORE, kinds().getLast(), "a re-added store is recorded again");
        node.tree().write("brmr-server/stores/p1/delete_store", "1");
        node.tree().write("rmr-client/pools/p2/leave_pool", "1");
        assertEquals(List.of("pool rmr-server/ctl/join_pool poolname=p1 member_id=1 chunk_size=131072",
                "pool rmr-server/ctl/join_pool poolname=p2 member_id=1 chunk_size=131072"), journal(),
                "leaving the sync pool also forgets the add_clt that named it");
        node.tree().write("rmr-server/pools/p1/leave_pool", "1");
        assertEquals(List.of("pool rmr-server/ctl/join_pool poolname=p2 member_id=1 chunk_size=131072"), journal());

        ControlException refused = assertThrows(ControlException.class,
                () -> node.tree().write("rmr-server/ctl/join_pool", "poolname=p2 member_id=1"));
        assertEquals(List.of("pool rmr-server/ctl/join_pool poolname=p2 member_id=1 chunk_size=131072"), journal(),
                "a refused command records nothing: " + refused.getMessage());
        node.close();
        node = start();
        assertEquals("restored: 1 pool", summary());
        assertEquals(List.of("p2"), node.tree().list("rmr-server/pools").stream().map(p -> p.replace("/", ""))
                .toList());
    }

    @Test
    void aStoreThatCannotBeReaddedIsReportedAndKeptForTheNextStart() throws Exception {
        Files.createDirectories(dir.resolve("state"));
        Path disk = disk("d.img");
        node = start();
        node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=1");
        node.tree().write("brmr-server/ctl/create_store", "device=" + disk + " pool=p1 mapped_size=20480");
        node.close();
        Files.move(disk, dir.resolve("elsewhere.img"));

        node = start();
        assertEquals("restored: 1 pool; 1 step failed, retrying", summary());
        assertEquals(true, node.status().contains("\"failed\":[\"brmr-server/ctl/add_store 'device=" + disk
                + " pool=p1 mapped_size=20480 mode=add': device: "), node.status());
        assertEquals(2, node.journal().entries().size(), "the store stays in the journal");
        assertThrows(ControlException.class, () -> node.tree().write("brmr-server/stores/p1/remove_store", "1"));
        assertEquals(2, node.journal().entries().size(), "a refused remove_store changes nothing");
    }

    private List<JournalEntry.Kind> kinds() {
        return node.journal().entries().stream().map(JournalEntry::kind).toList();
    }
}
