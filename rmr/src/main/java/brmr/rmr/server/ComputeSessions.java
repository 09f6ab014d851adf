package brmr.rmr.server;

import brmr.rmr.protocol.Message.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

    private final String pool;
    /** The session the pool serves, or null; guarded by this. */
    private SessionLink current;
    /** Requests being handled, per session (current and replaced ones); guarded by this. */
    private final Map<SessionLink, Integer> inFlight = new IdentityHashMap<>();

    /** @param pool "pool p on member m", for refusals */
    ComputeSessions(String pool) {
        this.pool = pool;
    }

    synchronized Optional<SessionLink> current() {
        return Optional.ofNullable(current);
    }

    synchronized boolean isCurrent(SessionLink link) {
        return current == link;
    }

    /** Makes {@code link} the current session; returns the one it replaces, or null. */
    synchronized SessionLink replace(SessionLink link) {
        SessionLink before = current;
        current = link;
        return before == link ? null : before;
    }

    /** Returns whether {@code link} was current (and now is no longer). */
    synchronized boolean end(SessionLink link) {
        if (current != link) {
            return false;
        }
        current = null;
        return true;
    }

    /** Ends every session; returns the current one, if any, for closing. */
    synchronized List<SessionLink> clear() {
        List<SessionLink> ended = new ArrayList<>();
        if (current != null) {
            ended.add(current);
        }
        current = null;
        return ended;
    }

    /** Admits one request of {@code link}; refused when the session is no longer the pool's compute session. */
    synchronized Admission admit(SessionLink link) throws RequestException {
        if (current != link) {
            throw new RequestException(Status.NOT_READY, "session " + link.name() + " is no longer the compute "
                    + "session of " + pool);
        }
        inFlight.merge(link, 1, Integer::sum);
        return () -> done(link);
    }

    private synchronized void done(SessionLink link) {
        if (inFlight.merge(link, -1, Integer::sum) == 0) {
            inFlight.remove(link);
            notifyAll();
        }
    }

    /** Waits up to {@code bound} until no session but {@code keep} has a request in flight; returns how many are left. */
    synchronized int awaitOthersIdle(SessionLink keep, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            int others = 0;
            for (Map.Entry<SessionLink, Integer> entry : inFlight.entrySet()) {
                others += entry.getKey() == keep ? 0 : entry.getValue();
            }
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
    }
}
