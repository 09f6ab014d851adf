package brmr.rmr.client;

import java.util.Locale;

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
    REMOVING,
    /**
     * Out of service on purpose ({@code enable 0}): misses writes as a failed leg does, but does not
     * reconnect; it serves again only when the operator enables it, after a map update.
     */
    MAINTENANCE;

    /** The word upstream's {@code state} file prints: {@code created}, {@code normal}, {@code failed}, ... */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Messages and logs name the state as the {@code state} file does. */
    @Override
    public String toString() {
        return label();
    }
}
