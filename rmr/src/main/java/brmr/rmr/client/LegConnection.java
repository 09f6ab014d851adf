package brmr.rmr.client;

import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.SessionIdentity;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One connected session of a leg: its channel, the requests in flight on it with the time each was
 * handed over, and its heartbeat. A watchdog sends a {@link Message.Ping} each heartbeat when none is
 * outstanding, and ends the session as soon as any request (the ping included) has waited longer
 * than the peer timeout; ending it fails every request in flight at once, so a frozen peer holds a
 * caller up for the timeout and one deadline check, and an idle one is found within timeout plus
 * one heartbeat.
 *
 * <p>A request is tracked before it is handed to the channel, because the hand-over itself blocks
 * when a frozen peer's socket buffer is full; the watchdog then still sees it and ends the session,
 * which closes the socket and unblocks the sender.
 */
final class LegConnection {
    /** A request in flight: what it is, when it was handed over (System.nanoTime), and its caller's future. */
    private record Tracked(Message request, long sentNanos, CompletableFuture<Message> reply) {
    }

    private final String session;
    private final String where;
    private final PeerTimeout timeout;
    private final Consumer<IOException> onEnded;
    private final Map<Long, Tracked> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicBoolean ended = new AtomicBoolean();
    private final AtomicBoolean pingOutstanding = new AtomicBoolean();
    private volatile LegChannel channel;
    private volatile IOException endCause;
    private Thread watchdog;

    /**
     * {@code onEnded} runs once, with the cause, when the session ends for any reason other than
     * {@link #close()}: the peer closed it, the channel broke, or a request ran past the timeout.
     */
    LegConnection(String session, String where, PeerTimeout timeout, Consumer<IOException> onEnded) {
        this.session = session;
        this.where = where;
        this.timeout = timeout;
        this.onEnded = onEnded;
    }

    /** Opens the channel through {@code connector}, as {@code identity}, and starts the heartbeat. */
    void open(LegConnector connector, InetSocketAddress address, Duration connectTimeout, SessionIdentity identity)
            throws IOException {
        channel = connector.open(address, connectTimeout, identity, cause -> end(closedBecause(cause), true));
        watchdog = Thread.ofVirtual().name("heartbeat-" + session).start(this::watch);
    }

    /** Sends a request; the future fails when the session ends before the reply, the timeout included. */
    CompletableFuture<Message> call(Message request) {
        return call(request, null);
    }

    /**
     * As {@link #call(Message)}, a Data reply read into {@code replyData} (null: a segment of its own);
     * the future completes only once the channel is done with {@code replyData}.
     */
    CompletableFuture<Message> call(Message request, MemorySegment replyData) {
        CompletableFuture<Message> reply = new CompletableFuture<>();
        long id = nextId.incrementAndGet();
        inFlight.put(id, new Tracked(request, System.nanoTime(), reply));
        IOException cause = endCause;
        if (cause != null) {
            inFlight.remove(id);
            reply.completeExceptionally(cause);
            return reply;
        }
        CompletableFuture<Message> answer;
        try {
            answer = replyData == null ? channel.call(request) : channel.call(request, replyData);
        } catch (RuntimeException e) {
            inFlight.remove(id);
            throw e;
        }
        answer.whenComplete((message, error) -> {
            inFlight.remove(id);
            IOException ended = endCause;
            if (error != null && ended != null) {
                reply.completeExceptionally(ended);
            } else if (error != null) {
                Throwable why = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                reply.completeExceptionally(why instanceof IOException io ? io
                        : new IOException(describe(request) + " failed: " + why.getMessage(), why));
            } else {
                reply.complete(message);
            }
        });
        if (reply.isCompletedExceptionally() && answer.isDone() && !answer.isCompletedExceptionally()) {
            // the peer answered and hung up (e.g. a refusal) before this thread saw the answer, and the hang-up
            // failed the call; no one holds the reply yet, so it takes the answer the peer gave
            reply.obtrudeValue(answer.join());
        }
        return reply;
    }

    /** Ends the session from this side; {@code onEnded} does not run. */
    void close() {
        end(new IOException("session " + session + " to " + where + " closed by this node"), false);
    }

    boolean isOpen() {
        return endCause == null;
    }

    /** Whether the channel was authenticated with the shared secret. */
    boolean authenticated() {
        LegChannel current = channel;
        return current != null && current.authenticated();
    }

    private void watch() {
        long lastPing = System.nanoTime();
        while (endCause == null) {
            try {
                Thread.sleep(timeout.deadlineCheck());
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            long limit = timeout.timeout().toNanos();
            for (Tracked tracked : inFlight.values()) {
                if (now - tracked.sentNanos() > limit) {
                    end(new IOException("session " + session + " to " + where + ": " + describe(tracked.request())
                            + " got no answer in " + seconds(now - tracked.sentNanos()) + " (peer timeout "
                            + timeout + " s)"), true);
                    return;
                }
            }
            if (now - lastPing >= timeout.heartbeat().toNanos() && pingOutstanding.compareAndSet(false, true)) {
                lastPing = now;
                call(new Message.Ping()).whenComplete((reply, error) -> pingOutstanding.set(false));
            }
        }
    }

    private void end(IOException cause, boolean notify) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        endCause = cause;
        // closed first: a reply being read into a caller's buffer is done before its caller hears of the end
        LegChannel current = channel;
        if (current != null) {
            current.close();
        }
        // the callers learn this cause (e.g. the timeout), not the channel's "closed" that closing causes
        for (Long id : inFlight.keySet()) {
            Tracked tracked = inFlight.remove(id);
            if (tracked != null) {
                tracked.reply().completeExceptionally(cause);
            }
        }
        if (watchdog != null && Thread.currentThread() != watchdog) {
            watchdog.interrupt();
        }
        if (notify) {
            onEnded.accept(cause);
        }
    }

    private IOException closedBecause(Throwable cause) {
        String reason = cause == null || cause.getMessage() == null ? "connection closed" : cause.getMessage();
        return new IOException("session " + session + " to " + where + " ended: " + reason, cause);
    }

    private static String describe(Message request) {
        return request.getClass().getSimpleName() + " request";
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }
}
