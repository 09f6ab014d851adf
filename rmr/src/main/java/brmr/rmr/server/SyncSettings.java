package brmr.rmr.server;

/**
 * Daemon-wide settings of the sync threads.
 *
 * @param queueDepth chunk requests in flight per pool, 1..512 (upstream default 32)
 * @param rateMibPerSecond upper bound on the sync rate per pool; 0 means unlimited
 */
public record SyncSettings(int queueDepth, int rateMibPerSecond) {
    public static final SyncSettings DEFAULT = new SyncSettings(32, 0);

    public SyncSettings {
        if (queueDepth < 1 || queueDepth > 512) {
            throw new IllegalArgumentException("sync_queue_depth " + queueDepth + " is out of range 1..512");
        }
        if (rateMibPerSecond < 0) {
            throw new IllegalArgumentException("sync rate " + rateMibPerSecond + " MiB/s is negative");
        }
    }
}
