package brmr.it;

import static brmr.it.Expect.eventually;
import static brmr.it.Expect.ok;
import static brmr.it.Expect.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each map refusal of docs/design.md section 5, between real processes, names the leg and the reason and maps nothing. */
class MapRefusalsIT {
    @TempDir
    Path dir;

    private final List<DaemonProcess> daemons = new ArrayList<>();
    private final List<TestDisk> disks = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (DaemonProcess daemon : daemons.reversed()) {
            daemon.close();
        }
        for (TestDisk disk : disks) {
            disk.close();
        }
    }

    private DaemonProcess storage(int member, String... pools) throws Exception {
        DaemonProcess node = DaemonProcess.storage(dir.resolve("node" + member));
        daemons.add(node);
        for (String pool : pools) {
            ok(node.ctl("write", "rmr-server/ctl/join_pool", "poolname=" + pool + " member_id=" + member));
        }
        return node;
    }

    private TestDisk store(DaemonProcess node, String pool, long mappedSize) throws Exception {
        TestDisk disk = TestDisk.create(dir, pool + "-" + node.pid(), 16L << 20);
        disks.add(disk);
        ok(node.ctl("write", "brmr-server/ctl/create_store", "device=" + disk.path() + " pool=" + pool
                + " mapped_size=" + mappedSize));
        return disk;
    }

    private static void session(DaemonProcess client, String pool, String session, DaemonProcess node) {
        ok(client.ctl("write", "rmr-client/pools/" + pool + "/add_sess", "sessname=" + session + " path="
                + node.sessionPath() + " mode=create"));
        ok(client.ctl("write", "rmr-client/pools/" + pool + "/sessions/" + session + "/enable", "1"));
    }

    private static void neverMapped(DaemonProcess node, TestDisk disk) {
        String examined = ok(node.ctl("examine", disk.path().toString()));
        assertTrue(examined.contains("flags:       none (never mapped)"), examined);
    }

    @Test
    void firstMapNeedsEveryLegSameParametersAndNoMixOfMappedAndFresh() throws Exception {
        DaemonProcess node1 = storage(1, "pa", "pb", "pc");
        DaemonProcess node2 = storage(2, "pa", "pb", "pc");
        DaemonProcess node3 = storage(3, "pb");
        TestDisk pa1 = store(node1, "pa", 20480);
        store(node2, "pa", 20480);
        TestDisk pb1 = store(node1, "pb", 20480);
        TestDisk pb2 = store(node2, "pb", 20480);
        TestDisk pb3 = store(node3, "pb", 20480);
        TestDisk pc1 = store(node1, "pc", 20480);
        TestDisk pc2 = store(node2, "pc", 16384);
        DaemonProcess client = DaemonProcess.client(dir.resolve("client"));
        daemons.add(client);
        for (String pool : List.of("pa", "pb", "pc")) {
            ok(client.ctl("write", "rmr-client/ctl/join_pool", "poolname=" + pool + " chunk_size=131072"));
        }

        // a leg that is not reachable on the first map
        session(client, "pa", "s1", node1);
        session(client, "pa", "s2", node2);
        ok(node2.ctl("write", "brmr-server/stores/pa/remove_store", "1"));
        eventually(Duration.ofSeconds(20), "session s2 of pa reconnecting",
                () -> ok(client.ctl("read", "rmr-client/pools/pa/sessions/s2/state")).strip(), "reconnecting"::equals);
        refused(client.ctl("write", "brmr-client/ctl/map_device", "pool=pa size=20480"),
                "leg s2: is reconnecting; the first map of a fresh pool needs every leg reachable and enabled");
        neverMapped(node1, pa1);

        // legs whose parameters differ
        session(client, "pc", "s1", node1);
        session(client, "pc", "s2", node2);
        refused(client.ctl("write", "brmr-client/ctl/map_device", "pool=pc size=20480"),
                "leg s2: mapped_size 16384 differs from 20480 of leg s1");
        neverMapped(node1, pc1);
        neverMapped(node2, pc2);

        // a size that is not the legs' mapped_size, then a mix of mapped and fresh legs
        session(client, "pb", "s1", node1);
        session(client, "pb", "s2", node2);
        refused(client.ctl("write", "brmr-client/ctl/map_device", "pool=pb size=1000"),
                "size: 1000 sectors differs from the mapped_size 20480 of the legs");
        neverMapped(node1, pb1);
        ok(client.ctl("write", "brmr-client/ctl/map_device", "pool=pb size=20480"));
        assertEquals("brmr0/", ok(client.ctl("ls", "brmr-client/ctl/devices")).strip(), "the first device mapped");
        ok(client.ctl("write", "brmr-client/ctl/devices/brmr0/unmap_device", "1"));
        session(client, "pb", "s3", node3);
        refused(client.ctl("write", "brmr-client/ctl/map_device", "pool=pb size=20480"),
                "leg s3: its store was never mapped, but leg s1 is mapped; a map takes all mapped or all fresh legs");
        neverMapped(node3, pb3);
        assertTrue(ok(node2.ctl("examine", pb2.path().toString())).contains("flags:       mapped"));
        assertEquals("", ok(client.ctl("ls", "brmr-client/ctl/devices")).strip(), "no device left mapped");
    }
}
