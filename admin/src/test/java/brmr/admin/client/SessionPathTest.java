package brmr.admin.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import brmr.admin.control.ControlException;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class SessionPathTest {
    @Test
    void withoutAPortThePathMeansTheDefaultListenPort() throws ControlException {
        assertEquals(new InetSocketAddress("127.0.0.2", 7474), SessionPath.parse("ip:127.0.0.2"));
        assertEquals(new InetSocketAddress("::1", 7474), SessionPath.parse("ip:[::1]"));
        assertEquals(new InetSocketAddress("127.0.0.3", 7000), SessionPath.parse("ip:127.0.0.3:7000"));
        assertEquals(new InetSocketAddress("::1", 7001), SessionPath.parse("ip:[::1]:7001"));
        assertEquals(7474, SessionPath.DEFAULT_PORT);
    }

    @Test
    void reconnectTakesOneOrUpstreamsPathOfTheSession() throws ControlException {
        InetSocketAddress session = new InetSocketAddress("127.0.0.2", 7474);
        SessionPath.checkReconnect("1\n", session);
        SessionPath.checkReconnect("path=ip:127.0.0.2", session);
        SessionPath.checkReconnect("path=ip:127.0.0.2:7474", session);
        assertEquals("path: the session goes to 127.0.0.2:7474, not 127.0.0.3:7474; to move it, del_sess and add_sess",
                assertThrows(ControlException.class, () -> SessionPath.checkReconnect("path=ip:127.0.0.3", session))
                        .getMessage());
        assertEquals("reconnect: write 1 or path=ip:ADDR[:PORT] to trigger it (got '0')",
                assertThrows(ControlException.class, () -> SessionPath.checkReconnect("0", session)).getMessage());
    }
}
