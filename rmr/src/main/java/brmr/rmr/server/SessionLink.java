package brmr.rmr.server;

/** The pool's handle on a session it serves, so that it can end the session (e.g. when its store goes away). */
interface SessionLink {
    String name();

    void close();
}
