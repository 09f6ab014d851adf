package brmr.rmr.server;

/** Server pool states, named as upstream. */
public enum PoolState {
    EMPTY, REGISTERED, CREATED, NORMAL, NO_IO
}
