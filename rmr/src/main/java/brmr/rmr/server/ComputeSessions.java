package brmr.rmr.server;

import brmr.rmr.protocol.Message.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The compute session a pool serves, and the requests in flight on every compute session. Only the
 * current session's requests are admitted; a session replaced by a newer one of the same client is
 * drained before the newer one is accepted, so none of its late writes lands after the newer
 * session's map update.
 */
final class ComputeSessions {
    /** A request admitted on a session; close when it is answered. */
    interface Admission extends AutoCloseable {
        @Override
        void close();
    }

    /** One session's requests being handled. */
    private record Served(SessionLink link, AtomicInteger inFlight) {
        Served(SessionLink link) {
            this(link, new AtomicInteger());
        }
    }

    private final String pool;
    /** The session the pool serves, or null; written under this, read anywhere (admit takes no lock). */
    private volatile Served current;
    /** Sessions replaced or ended whose requests may still be in flight; guarded by this. */
    private final List<Served> former = new ArrayList<>();
    /** Threads in {@link #awaitOthersIdle}: the last request of a session wakes them only when there are. */
    private final AtomicInteger waiting = new AtomicInteger();

    /** @param pool "pool p on member m", for refusals */
    ComputeSessions(String pool) {
        this.pool = pool;
    }

    Optional<SessionLink> current() {
        return Optional.ofNullable(current).map(Served::link);
    }

    boolean isCurrent(SessionLink link) {
        Served served = current;
        return served != null && served.link() == link;
    }

    /** Makes {@code link} the current session; returns the one it replaces, or null. */
    synchronized SessionLink replace(SessionLink link) {
        Served before = current;
        if (before != null && before.link() == link) {
            return null;
        }
        retire(before);
        current = new Served(link);
        return before == null ? null : before.link();
    }

    /** Returns whether {@code link} was current (and now is no longer). */
    synchronized boolean end(SessionLink link) {
        if (!isCurrent(link)) {
            return false;
        }
        retire(current);
        current = null;
        return true;
    }

    /** Ends every session; returns the current one, if any, for closing. */
    synchronized List<SessionLink> clear() {
        List<SessionLink> ended = new ArrayList<>();
        current().ifPresent(ended::add);
        retire(current);
        current = null;
        return ended;
    }

    /**
     * Admits one request of {@code link}, without a lock; refused when the session is no longer the pool's
     * compute session. The count goes up before the second look at {@code current}, so a replace either
     * refuses the request or finds it counted by {@link #awaitOthersIdle}.
     */
    Admission admit(SessionLink link) throws RequestException {
        Served served = current;
        if (served != null && served.link() == link) {
            served.inFlight().incrementAndGet();
            if (current == served) {
                return () -> done(served);
            }
            done(served);
        }
        throw new RequestException(Status.NOT_READY, "session " + link.name() + " is no longer the compute "
                + "session of " + pool);
    }

    private void done(Served served) {
        if (served.inFlight().decrementAndGet() == 0 && waiting.get() > 0) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** The caller holds this; drained ones are dropped, so that ended sessions are not kept. */
    private void retire(Served served) {
        former.removeIf(drained -> drained.inFlight().get() == 0);
        if (served != null) {
            former.add(served);
        }
    }

    /** Waits up to {@code bound} until no session but {@code keep} has a request in flight; returns how many are left. */
    synchronized int awaitOthersIdle(SessionLink keep, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        waiting.incrementAndGet();
        try {
            while (true) {
                former.removeIf(served -> served.inFlight().get() == 0);
                int others = 0;
                for (Served served : former) {
                    others += served.link() == keep ? 0 : served.inFlight().get();
                }
                Served now = current;
                others += now == null || now.link() == keep ? 0 : now.inFlight().get();
                long left = deadline - System.nanoTime();
                if (others == 0 || left <= 0) {
                    return others;
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return others;
                }
            }
        } finally {
            waiting.decrementAndGet();
        }
    }
}
