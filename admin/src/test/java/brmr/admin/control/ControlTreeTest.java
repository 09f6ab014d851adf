package brmr.admin.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ControlTreeTest {
    private final List<String> written = new ArrayList<>();
    private final List<String> pools = new ArrayList<>(List.of("p1", "p2"));
    private final ControlTree tree = new ControlTree()
            .writable("brmr-server/ctl/create_store", (vars, value) -> {
                written.add(value);
                return "";
            })
            .names("brmr-server/stores/{pool}", vars -> pools)
            .readable("brmr-server/stores/{pool}/state", vars -> "open of " + vars.get("pool"))
            .writable("brmr-server/stores/{pool}/remove_store", (vars, value) -> "removed " + vars.get("pool"));

    @Test
    void acceptsThePathWithOrWithoutTheSysfsPrefix() throws ControlException {
        assertEquals("open of p1", tree.read("/sys/class/brmr-server/stores/p1/state"));
        assertEquals("open of p1", tree.read("/sys/devices/virtual/brmr-server/stores/p1/state"));
        assertEquals("open of p1", tree.read("brmr-server/stores/p1/state"));
        assertEquals("open of p1", tree.read("/brmr-server/stores/p1/state/"));
        tree.write("/sys/devices/virtual/brmr-server/ctl/create_store", "device=/d");
        assertEquals(List.of("device=/d"), written);
    }

    @Test
    void matchesUpstreamSessionNamesAsOnePart() throws ControlException {
        ControlTree tree = new ControlTree()
                .readable("rmr-client/pools/{pool}/sessions/{sess}/state", vars -> vars.get("sess") + " normal");
        assertEquals("psrv0@stg-rmr0 normal",
                tree.read("/sys/class/rmr-client/pools/ionos_pool/sessions/psrv0@stg-rmr0/state"));
        String longest = "stg-rmr0@stg-rmr1:" + "ü".repeat(118) + "x";
        assertEquals(longest + " normal", tree.read("rmr-client/pools/p1/sessions/" + longest + "/state"));
    }

    @Test
    void refusesUnknownEmptyPartsAndTheWrongDirection() {
        assertEquals("path: brmr-server/ctl/nope: no such file",
                assertThrows(ControlException.class, () -> tree.read("brmr-server/ctl/nope")).getMessage());
        assertEquals("path: '/sys/class/brmr-server/stores//remove_store' has an empty part (is a pool name missing?)",
                assertThrows(ControlException.class, () -> tree.write("/sys/class/brmr-server/stores//remove_store",
                        "1")).getMessage());
        assertEquals("path: brmr-server/stores/p1/state is read-only",
                assertThrows(ControlException.class, () -> tree.write("brmr-server/stores/p1/state", "x")).getMessage());
        assertEquals("path: brmr-server/ctl/create_store is write-only",
                assertThrows(ControlException.class, () -> tree.read("brmr-server/ctl/create_store")).getMessage());
        assertEquals("path: empty path", assertThrows(ControlException.class, () -> tree.read("/sys/class/")).getMessage());
    }

    @Test
    void listsDirectoriesIncludingNamedAndEmptyOnes() throws ControlException {
        assertEquals(List.of("brmr-server/"), tree.list(""));
        assertEquals(List.of("ctl/", "stores/"), tree.list("/sys/class/brmr-server"));
        assertEquals(List.of("p1/", "p2/"), tree.list("brmr-server/stores"));
        assertEquals(List.of("remove_store", "state"), tree.list("brmr-server/stores/p2"));
        pools.clear();
        assertEquals(List.of(), tree.list("brmr-server/stores"));
        assertEquals("path: rmr-server: no such directory",
                assertThrows(ControlException.class, () -> tree.list("rmr-server")).getMessage());
    }
}
