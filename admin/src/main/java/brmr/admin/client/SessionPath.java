package brmr.admin.client;

import brmr.admin.control.ControlArgs;
import brmr.admin.control.ControlException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The {@code path=ip:ADDR[:PORT]} of add_sess, as upstream spells a storage node's address; without a
 * port it is {@link #DEFAULT_PORT}, the storage node's default listen port.
 */
public final class SessionPath {
    public static final int DEFAULT_PORT = 7474;

    private SessionPath() {
    }

    public static InetSocketAddress parse(String text) throws ControlException {
        if (!text.startsWith("ip:") || text.length() == 3) {
            throw new ControlException("path", "'" + text + "' is not of the form ip:ADDR[:PORT]");
        }
        String rest = text.substring(3);
        String host = rest;
        int port = DEFAULT_PORT;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw new ControlException("path", "'" + text + "' has an unclosed '['");
            }
            host = rest.substring(1, close);
            if (close + 1 < rest.length()) {
                if (rest.charAt(close + 1) != ':') {
                    throw new ControlException("path", "'" + text + "' is not of the form ip:[ADDR]:PORT");
                }
                port = port(text, rest.substring(close + 2));
            }
        } else if (rest.indexOf(':') >= 0) {
            host = rest.substring(0, rest.lastIndexOf(':'));
            port = port(text, rest.substring(rest.lastIndexOf(':') + 1));
        }
        if (host.isEmpty()) {
            throw new ControlException("path", "'" + text + "' names no address");
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new ControlException("path", "cannot resolve '" + host + "'");
        }
        return address;
    }

    /**
     * The value written to a session's {@code reconnect}: {@code 1}, or upstream's {@code path=ip:ADDR[:PORT]},
     * which must name where the session already goes.
     */
    public static void checkReconnect(String value, InetSocketAddress session) throws ControlException {
        String text = value.strip();
        if (text.equals("1")) {
            return;
        }
        if (!text.startsWith("path=")) {
            throw new ControlException("reconnect", "write 1 or path=ip:ADDR[:PORT] to trigger it (got '" + text
                    + "')");
        }
        InetSocketAddress asked = parse(ControlArgs.parse("reconnect", text, List.of("path"), List.of()).text("path"));
        if (!asked.equals(session)) {
            throw new ControlException("path", "the session goes to " + session.getHostString() + ":"
                    + session.getPort() + ", not " + asked.getHostString() + ":" + asked.getPort()
                    + "; to move it, del_sess and add_sess");
        }
    }

    private static int port(String text, String port) throws ControlException {
        try {
            int value = Integer.parseInt(port);
            if (value >= 1 && value <= 65535) {
                return value;
            }
        } catch (NumberFormatException e) {
            throw new ControlException("path", "port '" + port + "' in '" + text + "' is not a number");
        }
        throw new ControlException("path", "port '" + port + "' in '" + text + "' is out of range 1..65535");
    }
}
