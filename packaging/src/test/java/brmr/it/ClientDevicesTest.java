package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.admin.client.ClientNode;
import brmr.admin.control.ControlException;
import brmr.admin.server.StorageNode;
import brmr.device.BlockDevice;
import brmr.rmr.server.PoolServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compute client and a storage node in process, driven through the guide's control files: upstream
 * session names, devices named brmrN in order of mapping, their files, and maintenance in the state file.
 */
class ClientDevicesTest {
    private static final long MAPPED_SIZE = 20480;
    private static final String SESSION = "psrv0@stg-rmr0";

    @TempDir
    Path dir;

    private final List<AutoCloseable> started = new ArrayList<>();
    private StorageNode storage;
    private ClientNode client;
    private String path;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable resource : started.reversed()) {
            resource.close();
        }
    }

    private void start(String... pools) throws Exception {
        storage = new StorageNode(BlockDevice.DirectIo.OFF, pool -> List.of());
        started.add(storage);
        PoolServer server = PoolServer.start(new InetSocketAddress("127.0.0.1", 0), storage.pools());
        started.add(server);
        path = "ip:127.0.0.1:" + server.address().getPort();
        client = new ClientNode(new InetSocketAddress("127.0.0.1", 0));
        client.start();
        started.add(client);
        for (String pool : pools) {
            TestDisk disk = TestDisk.create(dir, pool, LocalPool.diskBytes(MAPPED_SIZE, 131072));
            // closed last, after the storage node closed its stores
            started.addFirst(disk);
            storage.tree().write("rmr-server/ctl/join_pool", "poolname=" + pool + " member_id=42");
            storage.tree().write("brmr-server/ctl/create_store", "device=" + disk.path() + " pool=" + pool
                    + " mapped_size=" + MAPPED_SIZE);
            client.tree().write("rmr-client/ctl/join_pool", "poolname=" + pool + " chunk_size=131072");
            client.tree().write("rmr-client/pools/" + pool + "/add_sess", "sessname=" + SESSION + " path=" + path
                    + " mode=create");
        }
    }

    private void enableAndMap(String pool) throws ControlException {
        client.tree().write("rmr-client/pools/" + pool + "/sessions/" + SESSION + "/enable", "1");
        client.tree().write("brmr-client/ctl/map_device", "pool=" + pool + " size=" + MAPPED_SIZE);
    }

    @Test
    void devicesAreNamedBrmrNInOrderOfMappingWithTheGuidesFiles() throws Exception {
        start("p1", "p2", "p3");
        enableAndMap("p1");
        enableAndMap("p2");
        assertEquals(List.of("brmr0/", "brmr1/"), client.tree().list("brmr-client/ctl/devices"));
        String dev = "/sys/class/brmr-client/ctl/devices/brmr1/";
        assertEquals("ready", client.tree().read(dev + "state"));
        assertEquals(String.valueOf(MAPPED_SIZE), client.tree().read(dev + "block/size"));
        assertEquals(String.valueOf(MAPPED_SIZE), client.tree().read(dev + "size"));
        InetSocketAddress nbd = client.nbdAddress();
        assertEquals("nbd://" + nbd.getHostString() + ":" + nbd.getPort() + "/brmr1", client.tree().read(dev + "nbd"));
        assertTrue(client.status().contains("\"name\":\"brmr1\""), client.status());
        assertEquals("leave_pool: device brmr1 of pool p2 is mapped; unmap it first", assertThrows(
                ControlException.class, () -> client.tree().write("rmr-client/pools/p2/leave_pool", "1")).getMessage());
        assertEquals("pool: pool p2 is already mapped as brmr1", assertThrows(ControlException.class,
                () -> client.tree().write("brmr-client/ctl/map_device", "pool=p2 size=" + MAPPED_SIZE)).getMessage());

        client.tree().write("brmr-client/ctl/devices/brmr0/unmap_device", "1");
        enableAndMap("p3");
        assertEquals(List.of("brmr0/", "brmr1/"), client.tree().list("brmr-client/ctl/devices"),
                "the lowest free number is taken again");
        assertTrue(client.status().contains("\"name\":\"brmr0\""), client.status());
    }

    @Test
    void stateFilesReadAsUpstreamPrintsThemAndShowMaintenance() throws Exception {
        start("ionos_pool");
        String sess = "rmr-client/pools/ionos_pool/sessions/" + SESSION + "/";
        assertEquals("created", client.tree().read(sess + "state"));
        assertEquals("42", client.tree().read(sess + "member_id"));
        assertEquals("created", storage.tree().read("rmr-server/pools/ionos_pool/state"));
        client.tree().write(sess + "enable", "0");
        assertEquals("maintenance\nMaintenance mode: 1", client.tree().read(sess + "state"));
        assertTrue(client.status().contains("\"state\":\"maintenance\""), client.status());
        assertEquals("sessname: session " + SESSION + " is in maintenance; write 1 to its enable to bring it back",
                assertThrows(ControlException.class, () -> client.tree().write(sess + "reconnect", "1")).getMessage());
        client.tree().write(sess + "enable", "1");
        assertEquals("normal", client.tree().read(sess + "state"));
        assertEquals("normal", storage.tree().read("rmr-server/pools/ionos_pool/state"));
        client.tree().write(sess + "reconnect", path.replace("ip:", "path=ip:"));
    }
}
