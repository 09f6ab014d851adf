package brmr.admin.daemon;

/**
 * The control paths that key the journal entries about an rmr-client pool and its sessions: the
 * compute client's pools and a storage node's sync pools live under the same paths.
 */
public final class JournalKeys {
    private JournalKeys() {
    }

    /** {@code rmr-client/pools/POOL}. */
    public static String rmrClientPool(String pool) {
        return "rmr-client/pools/" + pool;
    }

    /** {@code rmr-client/pools/POOL/sessions/SESSION}. */
    public static String rmrClientSession(String pool, String session) {
        return rmrClientPool(pool) + "/sessions/" + session;
    }
}
