package brmr.rmr.server;

import java.time.Duration;

/** Waits, with a deadline, for a pool's sync thread to end. */
final class SyncProgressWait {
    private SyncProgressWait() {
    }

    static SyncProgress awaitEnd(ServerPool pool) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            SyncProgress progress = pool.syncProgress().orElseThrow();
            if (progress.state() != SyncProgress.State.RUNNING) {
                return progress;
            }
            Thread.sleep(2);
        }
        throw new AssertionError("sync did not end");
    }
}
