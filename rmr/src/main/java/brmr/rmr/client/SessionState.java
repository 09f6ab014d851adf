package brmr.rmr.client;

/** States of a compute client's session to one storage node (one leg of the pool). */
public enum SessionState {
    /** Joined the server pool, not yet enabled for IO. */
    CREATED,
    /** Enabled: takes writes and reads. */
    NORMAL,
    /** IO or the connection failed; the leg misses writes until it is back. */
    FAILED,
    /** Trying to reach the storage node again. */
    RECONNECTING,
    /** Being deleted or disassembled by the operator. */
    REMOVING
}
