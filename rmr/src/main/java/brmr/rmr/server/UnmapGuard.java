package brmr.rmr.server;

/**
 * Whether the first map of a store may still be undone (Unmap): only when this process set MAPPED
 * and the store has taken no write or dirty mark since, so that undoing it loses nothing.
 */
final class UnmapGuard {
    /** MAPPED was set by this process; guarded by this. */
    private boolean mappedHere;
    /** A write or dirty mark arrived after MAPPED was set; written under this, read anywhere. */
    private volatile boolean changed;

    synchronized void mapped() {
        mappedHere = true;
        changed = false;
    }

    /** Called per write: once set, it takes no lock. */
    void changed() {
        if (!changed) {
            synchronized (this) {
                changed = true;
            }
        }
    }

    /** Null when an Unmap may clear MAPPED, else why not. */
    synchronized String whyNot() {
        if (!mappedHere) {
            return "it was not mapped by this storage node since the store was added";
        }
        return changed ? "it has taken writes since it was mapped" : null;
    }

    synchronized void unmapped() {
        mappedHere = false;
    }
}
