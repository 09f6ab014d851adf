package brmr.rmr.net;

import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Failure;
import brmr.rmr.protocol.ProtocolException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.tinylog.Logger;

/**
 * The calling side of a session: sends requests over a {@link FramedConnection} and pairs each
 * reply with its request by request id, so that any number of calls from any threads can be in
 * flight at once. One virtual thread reads the replies and completes the calls.
 *
 * <p>A {@link Failure} reply is a reply: its call completes normally. When the connection ends
 * (the peer closes it, it breaks, the peer breaks the protocol or sends a {@link Failure} with
 * request id 0, or {@link #close()} is called), every pending and later call fails with an
 * IOException and {@code onClosed} runs exactly once, with the cause, on the thread that ended the
 * channel (the reader, or the caller of {@link #close()}).
 *
 * <p>Stages attached to a call's future without an executor run on the reader thread and hold up
 * every other reply; keep them short or use the {@code *Async} variants.
 */
public final class RpcChannel implements AutoCloseable {
    /** Request id 0 is never used by a call: the peer sends frames about the whole connection with it. */
    private static final long FIRST_REQUEST_ID = 1;

    private final FramedConnection connection;
    private final Consumer<Throwable> onClosed;
    private final AtomicLong nextRequestId = new AtomicLong(FIRST_REQUEST_ID);
    private final Map<Long, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    /** Guards the pair (closeCause, pending) so that no call is registered after the pending calls were failed. */
    private final Object lifecycle = new Object();
    private volatile Throwable closeCause;
    private final Thread reader;

    /** Takes over {@code connection} and starts reading replies. */
    public RpcChannel(FramedConnection connection, Consumer<Throwable> onClosed) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.onClosed = Objects.requireNonNull(onClosed, "onClosed");
        this.reader = Thread.ofVirtual().name("rmr-replies-" + connection.peer()).unstarted(this::readReplies);
        reader.start();
    }

    /**
     * Sends {@code request} and returns its reply to come. The send happens on the calling thread
     * and blocks while the connection's send buffer is full.
     *
     * @throws IllegalArgumentException the request cannot be encoded; nothing was sent and the channel stays open
     */
    public CompletableFuture<Message> call(Message request) {
        return call(nextRequestId.getAndIncrement(), request);
    }

    /**
     * Sends {@code request} and waits at most {@code timeout} for its reply. The timeout bounds the
     * wait for the reply, not the send; a reply that comes later is dropped.
     *
     * @throws IOException the timeout passed, the connection ended, or the thread was interrupted
     *     (its interrupt flag is set again); the message names the peer and the request type
     */
    public Message callAndWait(Message request, Duration timeout) throws IOException {
        long requestId = nextRequestId.getAndIncrement();
        CompletableFuture<Message> reply = call(requestId, request);
        String what = request.getClass().getSimpleName() + " to " + connection.peer();
        try {
            return reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            pending.remove(requestId);
            throw new IOException(what + " timed out after " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new IOException(what + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            pending.remove(requestId);
            Thread.currentThread().interrupt();
            throw new IOException(what + " interrupted");
        }
    }

    public boolean isOpen() {
        return closeCause == null;
    }

    /** The remote address of the connection. */
    public String peer() {
        return connection.peer();
    }

    /**
     * Closes the connection, fails the pending calls, runs {@code onClosed} if nothing ended the
     * channel before, and waits for the reader thread to end. Idempotent.
     */
    @Override
    public void close() {
        end(new IOException("session to " + connection.peer() + " closed by this node"));
        if (Thread.currentThread() == reader) {
            return;
        }
        try {
            reader.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private CompletableFuture<Message> call(long requestId, Message request) {
        Objects.requireNonNull(request, "request");
        CompletableFuture<Message> reply = new CompletableFuture<>();
        synchronized (lifecycle) {
            if (closeCause != null) {
                return CompletableFuture.failedFuture(closedException(closeCause));
            }
            pending.put(requestId, reply);
        }
        try {
            connection.send(requestId, request);
        } catch (IOException e) {
            pending.remove(requestId);
            reply.completeExceptionally(e);
        } catch (RuntimeException e) {
            pending.remove(requestId);
            throw e;
        }
        return reply;
    }

    private void readReplies() {
        try {
            while (true) {
                Frame reply = connection.receive();
                CompletableFuture<Message> call = pending.remove(reply.requestId());
                if (call != null) {
                    call.complete(reply.message());
                } else if (reply.requestId() == 0 && reply.message() instanceof Failure failure) {
                    end(new IOException(connection.peer() + " ended the session: " + failure.status() + " "
                            + failure.message()));
                    return;
                } else {
                    Logger.debug("RMR reply {} from {} matches no pending call (timed out), dropped",
                            reply.message(), connection.peer());
                }
            }
        } catch (ProtocolException e) {
            Logger.warn("{} broke the RMR protocol: {}", connection.peer(), e.getMessage());
            end(e);
        } catch (IOException | RuntimeException e) {
            end(e);
        }
    }

    /** Ends the channel once: closes the connection, fails every pending call, then tells the owner. */
    private void end(Throwable cause) {
        List<CompletableFuture<Message>> failed;
        synchronized (lifecycle) {
            if (closeCause != null) {
                return;
            }
            closeCause = cause;
            failed = new ArrayList<>(pending.values());
            pending.clear();
        }
        connection.close();
        Logger.debug("RMR session to {} ended: {}", connection.peer(), cause.toString());
        failed.forEach(call -> call.completeExceptionally(closedException(cause)));
        try {
            onClosed.accept(cause);
        } catch (RuntimeException e) {
            Logger.error(e, "onClosed of the session to {} failed", connection.peer());
        }
    }

    private IOException closedException(Throwable cause) {
        String reason = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        return new IOException("connection to " + connection.peer() + " closed: " + reason, cause);
    }
}
