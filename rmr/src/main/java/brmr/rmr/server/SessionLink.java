package brmr.rmr.server;

import brmr.rmr.protocol.Message;

/** The pool's handle on a session it serves, so that it can end the session (e.g. when its store goes away). */
interface SessionLink {
    String name();

    void close();

    /** The client a compute session writes for (from its Hello); null when it named none. */
    default Message.Writer writer() {
        return null;
    }
}
