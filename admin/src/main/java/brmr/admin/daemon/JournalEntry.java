package brmr.admin.daemon;

import java.util.Locale;

/**
 * One piece of configuration a daemon accepted, kept as the control-file write that brings it back:
 * {@code value} written to {@code path}. {@code key} names what it configures (a path-like name such as
 * {@code rmr-client/pools/p1/sessions/s1}) so that the inverse command, or a later one of the same key,
 * replaces or removes it.
 */
public record JournalEntry(Kind kind, String key, String path, String value) {
    /**
     * What an entry configures; declared in replay order (a pool before its settings and sessions, a store
     * after the sync sessions it may ask its peers over, a device after the sessions it needs).
     */
    public enum Kind {
        POOL, SYNC_POOL, SETTING, SESSION, LINK, STORE, ENABLE, DEVICE;

        /** The name in the journal file and in status. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The kind named {@code label}, or null. */
        public static Kind ofLabel(String label) {
            for (Kind kind : values()) {
                if (kind.label().equals(label)) {
                    return kind;
                }
            }
            return null;
        }
    }

    public JournalEntry {
        if (kind == null || key == null || key.isEmpty() || path == null || path.isEmpty() || value == null) {
            throw new IllegalArgumentException("a journal entry needs a kind, key, path and value");
        }
    }

    /** Whether this entry is {@code key} itself or lies under it ({@code key/...}). */
    boolean within(String tree) {
        return key.equals(tree) || key.startsWith(tree + "/");
    }
}
