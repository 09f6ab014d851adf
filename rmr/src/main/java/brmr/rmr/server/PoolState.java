package brmr.rmr.server;

import java.util.Locale;

/** Server pool states, named as upstream. */
public enum PoolState {
    EMPTY, REGISTERED, CREATED, NORMAL, NO_IO;

    /** The word upstream's {@code state} file prints: {@code empty}, {@code registered}, ..., {@code no_io}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Messages and logs name the state as the {@code state} file does. */
    @Override
    public String toString() {
        return label();
    }
}
