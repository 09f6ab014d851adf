package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.admin.client.ClientNode;
import brmr.admin.control.ControlException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The compute client's control files fed bad values: one line naming the field and the reason, nothing changed. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientBadInputTest {
    private ClientNode node;
    private int closedPort;

    @BeforeAll
    void setUp() throws Exception {
        node = new ClientNode(new InetSocketAddress("127.0.0.1", 0));
        node.start();
        node.tree().write("rmr-client/ctl/join_pool", "poolname=p1 chunk_size=131072");
        closedPort = DaemonProcess.freePort();
    }

    @AfterAll
    void tearDown() {
        node.close();
    }

    Stream<Arguments> cases() {
        String join = "rmr-client/ctl/join_pool";
        String add = "rmr-client/pools/p1/add_sess";
        String map = "brmr-client/ctl/map_device";
        List<Arguments> cases = new ArrayList<>();
        cases.add(Arguments.of(join, "poolname=p2", "chunk_size: missing; join_pool needs poolname= chunk_size= [sync=]"));
        cases.add(Arguments.of(join, "poolname=p2 chunk_size=100000", "chunk_size: 100000 is not a power of two"));
        cases.add(Arguments.of(join, "poolname=p2 chunk_size=131072 sync=y",
                "sync: sync=y joins a sync pool on a storage node, not on a compute client"));
        cases.add(Arguments.of(join, "poolname=p2 chunk_size=131072 sync=maybe", "sync: 'maybe' is not one of y, n"));
        cases.add(Arguments.of(join, "poolname=p1 chunk_size=131072", "poolname: pool p1 is already joined"));
        cases.add(Arguments.of("rmr-client/pools/p9/add_sess", "sessname=s1 path=ip:127.0.0.1",
                "pool: p9 is not joined on this client (write rmr-client/ctl/join_pool first)"));
        cases.add(Arguments.of(add, "sessname=s1", "path: missing; add_sess needs sessname= path= [mode=] [force=]"));
        cases.add(Arguments.of(add, "sessname=s1 path=127.0.0.1:7474",
                "path: '127.0.0.1:7474' is not of the form ip:ADDR[:PORT]"));
        cases.add(Arguments.of(add, "sessname=s1 path=ip:", "path: 'ip:' is not of the form ip:ADDR[:PORT]"));
        cases.add(Arguments.of(add, "sessname=s1 path=ip:127.0.0.1:99999",
                "path: port '99999' in 'ip:127.0.0.1:99999' is out of range 1..65535"));
        cases.add(Arguments.of(add, "sessname=s1 path=ip:127.0.0.1:x",
                "path: port 'x' in 'ip:127.0.0.1:x' is not a number"));
        cases.add(Arguments.of(add, "sessname=s1 path=ip:127.0.0.1 force=yes", "force: 'yes' is not one of 0, 1"));
        cases.add(Arguments.of(add, "sessname=s1 path=ip:127.0.0.1 mode=join",
                "mode: 'join' is not one of create, assemble"));
        cases.add(Arguments.of(add, "sessname=s/1 path=ip:127.0.0.1",
                "sessname: 's/1' holds '/'; a session name must be 1 to 255 bytes of printable characters without '/'"));
        cases.add(Arguments.of("rmr-client/pools/p1/sessions/s9/enable", "2",
                "enable: write 1 to enable the session or 0 to take it out for maintenance (got '2')"));
        cases.add(Arguments.of("rmr-client/pools/p1/sessions/s9/enable", "0", "sessname: no session s9 in pool p1"));
        cases.add(Arguments.of("brmr-client/ctl/devices/brmr0/state", "x", "path: brmr-client/ctl/devices/brmr0/state "
                + "is read-only"));
        cases.add(Arguments.of("rmr-client/pools/p1/sessions/s9/enable", "1", "sessname: no session s9 in pool p1"));
        cases.add(Arguments.of("rmr-client/pools/p1/sessions/s9/del_sess", "mode=delete",
                "sessname: no session s9 in pool p1"));
        cases.add(Arguments.of("rmr-client/pools/p1/sessions/s9/del_sess", "mode=erase",
                "mode: 'erase' is not one of delete, disassemble"));
        cases.add(Arguments.of("rmr-client/pools/p1/pool_enable", "yes", "pool_enable: write 1 to trigger it (got 'yes')"));
        cases.add(Arguments.of(map, "pool=p9 size=204800",
                "pool: p9 is not joined on this client (write rmr-client/ctl/join_pool first)"));
        cases.add(Arguments.of(map, "pool=p1 size=204800", "pool: p1 has no sessions; add_sess first"));
        cases.add(Arguments.of(map, "pool=p1 size=0", "size: 0 is out of range 1..18014398509481983"));
        cases.add(Arguments.of(map, "pool=p1",
                "size: missing; map_device needs pool= size= [force=] [assume_clean=] [device=]"));
        cases.add(Arguments.of("brmr-client/ctl/devices/p1/unmap_device", "1", "device: no mapped device p1"));
        cases.add(Arguments.of("rmr-client/pools/p1/leave_pool", "0", "leave_pool: write 1 to trigger it (got '0')"));
        cases.add(Arguments.of("rmr-client/pools/p1/peer_timeout", "0", "peer_timeout: 0 is out of range 1..300 seconds"));
        cases.add(Arguments.of("rmr-client/pools/p1/peer_timeout", "301",
                "peer_timeout: 301 is out of range 1..300 seconds"));
        cases.add(Arguments.of("rmr-client/pools/p1/peer_timeout", "5s",
                "peer_timeout: '5s' is not a whole number of seconds"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} <- ''{1}''")
    @MethodSource("cases")
    void refusedWithOneLineAndNothingChanged(String path, String value, String error) {
        String before = node.status();
        ControlException e = assertThrows(ControlException.class, () -> node.tree().write(path, value));
        assertEquals(error, e.getMessage());
        assertEquals(before, node.status());
    }

    @Test
    void thePeerTimeoutOfAPoolIsReadAndSetInSeconds() throws Exception {
        assertEquals("5", node.tree().read("rmr-client/pools/p1/peer_timeout"));
        node.tree().write("rmr-client/pools/p1/peer_timeout", "12");
        assertEquals("12", node.tree().read("rmr-client/pools/p1/peer_timeout"));
        assertTrue(node.status().contains("\"peer_timeout\":12"), node.status());
        node.tree().write("rmr-client/pools/p1/peer_timeout", "5");
    }

    @Test
    void anUnreachableNodeIsRefusedAndLeavesNoSession() {
        String before = node.status();
        ControlException e = assertThrows(ControlException.class, () -> node.tree().write(
                "rmr-client/pools/p1/add_sess", "sessname=s1 path=ip:127.0.0.1:" + closedPort));
        assertTrue(e.getMessage().startsWith("path: cannot reach 127.0.0.1:" + closedPort + ": "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
        assertEquals(before, node.status());
    }
}
