package brmr.rmr.server;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The sessions that joined one pool and have not ended yet, compute and sync alike, for status. */
final class ServedSessions {
    /** Guarded by this. */
    private final Set<ServerSession> sessions = new LinkedHashSet<>();

    synchronized void joined(ServerSession session) {
        sessions.add(session);
    }

    synchronized void ended(ServerSession session) {
        sessions.remove(session);
    }

    List<ServedSession> list() {
        List<ServerSession> copy;
        synchronized (this) {
            copy = new ArrayList<>(sessions);
        }
        List<ServedSession> views = new ArrayList<>();
        for (ServerSession session : copy) {
            views.add(session.view());
        }
        views.sort(Comparator.comparing(ServedSession::name));
        return views;
    }
}
