package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.admin.client.ClientIdentity;
import brmr.admin.client.ClientNode;
import brmr.admin.control.ControlException;
import brmr.admin.daemon.JournalRestore;
import brmr.admin.server.StorageNode;
import brmr.device.BlockDevice;
import brmr.rmr.client.PeerTimeout;
import brmr.rmr.server.PoolServer;
import com.fasterxml.jackson.jr.ob.JSON;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compute client's journal, in process against one storage node: sessions come back in assemble mode,
 * devices under the names they had (not the lowest free one), and what was undone stays undone.
 */
class ClientJournalTest {
    private static final long MAPPED_SIZE = 20480;
    private static final String SESSION = "psrv0@stg-rmr0";

    @TempDir
    Path dir;

    private final List<AutoCloseable> started = new ArrayList<>();
    private String path;

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable resource : started.reversed()) {
            resource.close();
        }
    }

    private void storage(String... pools) throws Exception {
        StorageNode storage = new StorageNode(BlockDevice.DirectIo.OFF, pool -> List.of());
        started.add(storage);
        PoolServer server = PoolServer.start(new InetSocketAddress("127.0.0.1", 0), storage.pools());
        started.add(server);
        path = "ip:127.0.0.1:" + server.address().getPort();
        for (String pool : pools) {
            TestDisk disk = TestDisk.create(dir, pool, LocalPool.diskBytes(MAPPED_SIZE, 131072));
            started.addFirst(disk);
            storage.tree().write("rmr-server/ctl/join_pool", "poolname=" + pool + " member_id=42");
            storage.tree().write("brmr-server/ctl/create_store", "device=" + disk.path() + " pool=" + pool
                    + " mapped_size=" + MAPPED_SIZE);
        }
    }

    /** A client as its daemon starts one: identity and journal from its state directory. */
    private ClientNode client() throws Exception {
        Path stateDir = dir.resolve("client");
        Files.createDirectories(stateDir);
        JournalRestore restore = JournalRestore.open(stateDir, true);
        ClientNode client = new ClientNode(new InetSocketAddress("127.0.0.1", 0), PeerTimeout.ofDefault(),
                ClientIdentity.loadOrCreate(stateDir), restore.journal());
        client.start();
        started.add(client);
        started.add(restore);
        client.restored(restore.replay(client.tree()));
        return client;
    }

    /** "pool device" for each pool of a client's status JSON. */
    @SuppressWarnings("unchecked")
    private static List<String> devicesByPool(String status) throws Exception {
        List<String> devices = new ArrayList<>();
        for (Object p : (List<Object>) JSON.std.mapFrom(status).get("pools")) {
            Map<String, Object> pool = (Map<String, Object>) p;
            devices.add(pool.get("pool") + " " + ((Map<String, Object>) pool.get("device")).get("name"));
        }
        return devices;
    }

    private List<String> journal(ClientNode client) {
        return client.journal().entries().stream().map(e -> e.path() + " " + e.value()).toList();
    }

    @Test
    void aRestartedClientAssemblesAndMapsItsDevicesUnderTheSameNames() throws Exception {
        storage("p1", "p2", "p3");
        ClientNode client = client();
        for (String pool : List.of("p1", "p2", "p3")) {
            client.tree().write("rmr-client/ctl/join_pool", "poolname=" + pool + " chunk_size=131072");
            client.tree().write("rmr-client/pools/" + pool + "/add_sess", "sessname=" + SESSION + " path=" + path
                    + " mode=create");
            client.tree().write("rmr-client/pools/" + pool + "/sessions/" + SESSION + "/enable", "1");
            client.tree().write("brmr-client/ctl/map_device", "pool=" + pool + " size=" + MAPPED_SIZE
                    + " assume_clean=1");
        }
        client.tree().write("rmr-client/pools/p2/peer_timeout", "9");
        String timeout = client.tree().read("rmr-client/pools/p2/peer_timeout");
        client.tree().write("brmr-client/ctl/devices/brmr0/unmap_device", "1");
        client.tree().write("rmr-client/pools/p1/sessions/" + SESSION + "/del_sess", "mode=disassemble");
        client.tree().write("rmr-client/pools/p1/leave_pool", "1");
        List<String> recorded = List.of(
                "rmr-client/ctl/join_pool poolname=p2 chunk_size=131072",
                "rmr-client/ctl/join_pool poolname=p3 chunk_size=131072",
                "rmr-client/pools/p2/peer_timeout 9",
                "rmr-client/pools/p2/add_sess sessname=" + SESSION + " path=" + path + " mode=assemble",
                "rmr-client/pools/p3/add_sess sessname=" + SESSION + " path=" + path + " mode=assemble",
                "rmr-client/pools/p2/sessions/" + SESSION + "/enable 1",
                "rmr-client/pools/p3/sessions/" + SESSION + "/enable 1",
                "brmr-client/ctl/map_device pool=p2 size=" + MAPPED_SIZE + " device=brmr1",
                "brmr-client/ctl/map_device pool=p3 size=" + MAPPED_SIZE + " device=brmr2");
        assertEquals(recorded, journal(client));

        assertEquals("device: brmr1 is taken by pool p2", assertThrows(ControlException.class,
                () -> client.tree().write("brmr-client/ctl/map_device", "pool=p2 size=1 device=brmr1")).getMessage());
        assertEquals("device: 'nbd0' is not of the form brmrN", assertThrows(ControlException.class,
                () -> client.tree().write("brmr-client/ctl/map_device", "pool=p2 size=1 device=nbd0")).getMessage());
        assertEquals(recorded, journal(client), "a refused map records nothing");

        client.close();
        ClientNode restarted = client();
        assertTrue(restarted.status().contains("\"summary\":\"restored: 2 pools, 2 sessions, 2 devices\""),
                restarted.status());
        assertEquals(List.of("brmr1/", "brmr2/"), restarted.tree().list("brmr-client/ctl/devices"));
        assertTrue(restarted.tree().read("brmr-client/ctl/devices/brmr1/nbd").endsWith("/brmr1"));
        assertEquals(List.of("p2 brmr1", "p3 brmr2"), devicesByPool(restarted.status()));
        assertEquals("normal", restarted.tree().read("rmr-client/pools/p2/sessions/" + SESSION + "/state"));
        assertEquals(List.of("p2/", "p3/"), restarted.tree().list("rmr-client/pools"));
        assertEquals(timeout, restarted.tree().read("rmr-client/pools/p2/peer_timeout"));
        assertEquals(recorded, journal(restarted), "the replay records nothing new");
    }
}
