package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import brmr.admin.control.ControlException;
import brmr.admin.server.StorageNode;
import brmr.device.BlockDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every control file fed missing, extra, duplicated, malformed and out-of-range values, and every
 * wrong kind of device: each gives one line naming the field and the reason, and changes nothing
 * on any disk or in any pool.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    @TempDir
    static Path dir;

    private StorageNode node;
    private TestDisk inUse;
    private TestDisk clean;
    private TestDisk small;
    private TestDisk readOnly;
    private BlockDevice heldElsewhere;
    private TestDisk held;

    @BeforeAll
    void setUp() throws Exception {
        node = new StorageNode(BlockDevice.DirectIo.AUTO, pool -> List.of());
        inUse = TestDisk.create(dir, "in-use", 16L << 20);
        clean = TestDisk.create(dir, "clean", 16L << 20);
        small = TestDisk.create(dir, "small", 8L << 20);
        readOnly = TestDisk.create(dir, "read-only", 16L << 20, true);
        held = TestDisk.create(dir, "held", 16L << 20);
        heldElsewhere = BlockDevice.open(held.path(), BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF);
        Files.createDirectory(dir.resolve("a-directory"));
        node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=1");
        node.tree().write("rmr-server/ctl/join_pool", "poolname=p2 member_id=1");
        node.tree().write("brmr-server/ctl/create_store", "device=" + inUse.path() + " pool=p1 mapped_size=20480");
    }

    @AfterAll
    void tearDown() throws Exception {
        node.tree().write("brmr-server/stores/p1/remove_store", "1");
        heldElsewhere.close();
        for (TestDisk disk : List.of(inUse, clean, small, readOnly, held)) {
            disk.close();
        }
    }

    Stream<Arguments> cases() {
        String create = "brmr-server/ctl/create_store";
        String add = "brmr-server/ctl/add_store";
        String join = "rmr-server/ctl/join_pool";
        String cleanDev = "device=" + clean.path();
        List<Arguments> cases = new ArrayList<>();
        // join_pool
        cases.add(of(join, "", "join_pool: no arguments given; expected poolname= member_id= [chunk_size=]"));
        cases.add(of(join, "poolname=p9", "member_id: missing; join_pool needs poolname= member_id= [chunk_size=]"));
        cases.add(of(join, "member_id=1", "poolname: missing; join_pool needs poolname= member_id= [chunk_size=]"));
        cases.add(of(join, "poolname=p9 member_id=1 colour=red",
                "colour: unknown field for join_pool; expected poolname= member_id= [chunk_size=]"));
        cases.add(of(join, "poolname=p9 poolname=p8 member_id=1", "poolname: given twice"));
        cases.add(of(join, "poolname member_id=1",
                "join_pool: 'poolname' is not of the form field=value; expected poolname= member_id= [chunk_size=]"));
        cases.add(of(join, "=p9 member_id=1",
                "join_pool: '=p9' is not of the form field=value; expected poolname= member_id= [chunk_size=]"));
        cases.add(of(join, "poolname= member_id=1", "poolname: empty value"));
        cases.add(of(join, "poolname=p9 member_id=one", "member_id: 'one' is not a whole number"));
        cases.add(of(join, "poolname=p9 member_id=-1", "member_id: -1 is out of range 0..65535"));
        cases.add(of(join, "poolname=p9 member_id=65536", "member_id: 65536 is out of range 0..65535"));
        cases.add(of(join, "poolname=a/b member_id=1",
                "poolname: 'a/b' must be 1 to 64 letters, digits, '.', '_' or '-'"));
        cases.add(of(join, "poolname=p9 member_id=1 chunk_size=2048", "chunk_size: 2048 is out of range 4096..67108864"));
        cases.add(of(join, "poolname=p9 member_id=1 chunk_size=12288", "chunk_size: 12288 is not a power of two"));
        cases.add(of(join, "poolname=p1 member_id=2", "poolname: pool p1 is already joined (member 1)"));
        // create_store: fields
        cases.add(of(create, "", "create_store: no arguments given; expected device= pool= mapped_size="));
        cases.add(of(create, "pool=p2 mapped_size=20480",
                "device: missing; create_store needs device= pool= mapped_size="));
        cases.add(of(create, cleanDev + " mapped_size=20480",
                "pool: missing; create_store needs device= pool= mapped_size="));
        cases.add(of(create, cleanDev + " pool=p2", "mapped_size: missing; create_store needs device= pool= mapped_size="));
        cases.add(of(create, cleanDev + " pool=p2 mapped_size=20480 mode=replace",
                "mode: unknown field for create_store; expected device= pool= mapped_size="));
        cases.add(of(create, cleanDev + " pool=p2 pool=p1 mapped_size=20480", "pool: given twice"));
        cases.add(of(create, cleanDev + " pool=p2 mapped_size", "create_store: 'mapped_size' is not of the form "
                + "field=value; expected device= pool= mapped_size="));
        cases.add(of(create, cleanDev + " pool=p2 mapped_size=0",
                "mapped_size: 0 is out of range 1..18014398509481983"));
        cases.add(of(create, cleanDev + " pool=p2 mapped_size=-8",
                "mapped_size: -8 is out of range 1..18014398509481983"));
        cases.add(of(create, cleanDev + " pool=p2 mapped_size=1e6", "mapped_size: '1e6' is not a whole number"));
        cases.add(of(create, cleanDev + " pool=p2 mapped_size=99999999999999999999",
                "mapped_size: '99999999999999999999' is not a whole number"));
        cases.add(of(create, cleanDev + " pool=p3 mapped_size=20480",
                "pool: p3 is not joined on this node (write rmr-server/ctl/join_pool first)"));
        cases.add(of(create, cleanDev + " pool=p1 mapped_size=20480", "pool: p1 already has a store (" + inUse.path()
                + ")"));
        // create_store: device kinds
        cases.add(of(create, "device=disk.img pool=p2 mapped_size=20480", "device: 'disk.img' must be an absolute path"));
        cases.add(of(create, "device=" + dir.resolve("missing.img") + " pool=p2 mapped_size=20480",
                "device: " + dir.resolve("missing.img") + " does not exist"));
        cases.add(of(create, "device=" + dir.resolve("a-directory") + " pool=p2 mapped_size=20480",
                "device: " + dir.resolve("a-directory") + " is a directory, not a block device or regular file"));
        cases.add(of(create, "device=/dev/null pool=p2 mapped_size=20480",
                "device: /dev/null is not a block device or regular file"));
        cases.add(of(create, "device=" + small.path() + " pool=p2 mapped_size=20480",
                "mapped_size: 20480 sectors plus 1048576 bytes of metadata need 11534336 bytes, but " + small.path()
                        + " has 8388608"));
        cases.add(of(create, "device=" + inUse.path() + " pool=p2 mapped_size=20480",
                "device: " + inUse.path() + " is already the store of pool p1"));
        if (TestDisk.readOnlyIsEnforced()) {
            cases.add(of(create, "device=" + readOnly.path() + " pool=p2 mapped_size=20480",
                    "device: cannot open " + readOnly.path() + " for writing: "
                            + (TestDisk.usesLoopDevices() ? "Read-only file system" : "Permission denied")));
        }
        // add_store
        cases.add(of(add, "", "add_store: no arguments given; expected device= pool= [mapped_size=] [mode=]"));
        cases.add(of(add, cleanDev, "pool: missing; add_store needs device= pool= [mapped_size=] [mode=]"));
        cases.add(of(add, cleanDev + " pool=p2 mode=bogus", "mode: 'bogus' is not one of add, replace"));
        cases.add(of(add, cleanDev + " pool=p2 mode=replace",
                "mapped_size: missing; mode=replace needs the mapped_size the pool was created with"));
        cases.add(of(add, cleanDev + " pool=p2 mapped_size=x", "mapped_size: 'x' is not a whole number"));
        cases.add(of(add, cleanDev + " pool=p2 mode=add mode=add", "mode: given twice"));
        cases.add(of(add, cleanDev + " pool=p2", "device: " + clean.path()
                + " has no brmr metadata; to add an empty disk in place of a failed one use mode=replace"));
        cases.add(of(add, "device=" + inUse.path() + " pool=p1", "pool: p1 already has a store (" + inUse.path() + ")"));
        // trigger files and paths
        for (String file : List.of("remove_store", "delete_store")) {
            String path = "brmr-server/stores/p1/" + file;
            cases.add(of(path, "0", file + ": write 1 to trigger it (got '0')"));
            cases.add(of(path, "yes", file + ": write 1 to trigger it (got 'yes')"));
            cases.add(of(path, "", file + ": write 1 to trigger it (got '')"));
            cases.add(of("brmr-server/stores/p2/" + file, "1", "pool: no store for pool p2 on this node"));
        }
        cases.add(of("rmr-server/pools/p1/leave_pool", "1",
                "leave_pool: pool p1 has a store (" + inUse.path() + "); remove or delete it first"));
        cases.add(of("rmr-server/pools/p9/leave_pool", "1",
                "pool: p9 is not joined on this node (write rmr-server/ctl/join_pool first)"));
        cases.add(of("rmr-server/pools/p2/leave_pool", "true", "leave_pool: write 1 to trigger it (got 'true')"));
        cases.add(of("brmr-server/ctl/remove_store", "1", "path: brmr-server/ctl/remove_store: no such file"));
        cases.add(of("brmr-server/stores/p1/state", "closed", "path: brmr-server/stores/p1/state is read-only"));
        cases.add(of("brmr-server/stores//delete_store", "1",
                "path: 'brmr-server/stores//delete_store' has an empty part (is a pool name missing?)"));
        return cases.stream();
    }

    private static Arguments of(String path, String value, String error) {
        return Arguments.of(path, value, error);
    }

    @ParameterizedTest(name = "{0} <- ''{1}''")
    @MethodSource("cases")
    void refusedWithOneLineAndNothingChanged(String path, String value, String error) throws IOException {
        String statusBefore = node.status();
        List<String> digestsBefore = digests();
        ControlException e = assertThrows(ControlException.class, () -> node.tree().write(path, value));
        assertEquals(error, e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line");
        assertEquals(statusBefore, node.status(), "pools and stores unchanged");
        assertEquals(digestsBefore, digests(), "disks unchanged");
    }

    @Test
    void diskHeldOpenElsewhereIsRefusedAsInUse() throws IOException {
        String value = "device=" + held.path() + " pool=p2 mapped_size=20480";
        String before = held.digest();
        ControlException e = assertThrows(ControlException.class,
                () -> node.tree().write("brmr-server/ctl/create_store", value));
        String expected = TestDisk.usesLoopDevices()
                ? "device: cannot open " + held.path() + " for writing: already in use (mounted or held open "
                        + "exclusively by another program)"
                : "device: " + held.path() + " is already in use by another brmr store";
        assertEquals(expected, e.getMessage());
        assertEquals(before, held.digest());
    }

    private List<String> digests() throws IOException {
        List<String> digests = new ArrayList<>();
        for (TestDisk disk : List.of(inUse, clean, small, readOnly, held)) {
            digests.add(disk.digest());
        }
        return digests;
    }
}
