package brmr.rmr.server;

import brmr.rmr.protocol.Message;

/** A session this node serves, as status shows it: its name, role, member (-1 for a compute client), peer address, and whether it authenticated. */
public record ServedSession(String name, Message.Role role, int member, String peer, boolean authenticated) {
}
