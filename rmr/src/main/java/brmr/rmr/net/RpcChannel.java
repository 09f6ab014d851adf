package brmr.rmr.net;

import brmr.rmr.protocol.DataDestination;
import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Data;
import brmr.rmr.protocol.Message.Failure;
import brmr.rmr.protocol.ProtocolException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
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
 *
 * <p>Reply data: a {@link Data} reply to {@link #call(Message, MemorySegment)} is read straight into
 * the caller's {@code replyData}, which belongs to the channel until the call's future completes (the
 * future of a call whose reply is being read completes only after the reader is done with it, even
 * when the channel ends meanwhile); a Data reply to any other call gets a heap segment of its own,
 * which belongs to the caller.
 */
public final class RpcChannel implements AutoCloseable {
    /** Request id 0 is never used by a call: the peer sends frames about the whole connection with it. */
    private static final long FIRST_REQUEST_ID = 1;

    private final FramedConnection connection;
    private final Consumer<Throwable> onClosed;
    private final AtomicLong nextRequestId = new AtomicLong(FIRST_REQUEST_ID);
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    /** Guards the pair (closeCause, pending) so that no call is registered after the pending calls were failed. */
    private final Object lifecycle = new Object();
    /**
     * The call whose Data reply the reader is reading into its replyData, taken out of {@link #pending}
     * so that only the reader completes it; read and written by the reader thread only.
     */
    private Pending receiving;
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
        return call(nextRequestId.getAndIncrement(), request, null);
    }

    /**
     * As {@link #call(Message)}; a {@link Data} reply is read straight into {@code replyData} and its
     * {@code data()} is {@code replyData} sliced to the length received. A longer Data reply fails the
     * call (the channel stays open). {@code replyData} must stay untouched until the future completes.
     */
    public CompletableFuture<Message> call(Message request, MemorySegment replyData) {
        return call(nextRequestId.getAndIncrement(), request, Objects.requireNonNull(replyData, "replyData"));
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
        CompletableFuture<Message> reply = call(requestId, request, null);
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
        // even when interrupted: the reader may still be copying a reply into a caller's segment
        boolean interrupted = false;
        while (reader.isAlive()) {
            try {
                reader.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private CompletableFuture<Message> call(long requestId, Message request, MemorySegment replyData) {
        Objects.requireNonNull(request, "request");
        CompletableFuture<Message> reply = new CompletableFuture<>();
        synchronized (lifecycle) {
            if (closeCause != null) {
                return CompletableFuture.failedFuture(closedException(closeCause));
            }
            pending.put(requestId, new Pending(reply, replyData));
        }
        try {
            connection.send(requestId, request);
        } catch (IOException e) {
            // not pending any more: the reader or the end of the channel completes it
            if (pending.remove(requestId) != null) {
                reply.completeExceptionally(e);
            }
        } catch (RuntimeException e) {
            pending.remove(requestId);
            throw e;
        }
        return reply;
    }

    private void readReplies() {
        try {
            while (true) {
                Frame reply = connection.receive((type, length) -> { }, this::replyDestination);
                Pending call = receiving != null ? receiving : pending.remove(reply.requestId());
                receiving = null;
                if (call != null) {
                    complete(call, reply.message());
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
        } finally {
            if (receiving != null) {
                receiving.reply().completeExceptionally(closeCause != null ? closedException(closeCause)
                        : new IOException("the reader of the session to " + connection.peer() + " stopped"));
                receiving = null;
            }
        }
    }

    /** The caller's replyData when it holds the reply's data (the call is then the reader's to complete), else the heap. */
    private DataDestination.Buffer replyDestination(long requestId, int length) {
        Pending call = pending.get(requestId);
        if (call == null || call.replyData() == null || length > call.replyData().byteSize()
                || !pending.remove(requestId, call)) {
            return null;
        }
        receiving = call;
        return new DataDestination.Buffer(call.replyData().asSlice(0, length), null);
    }

    /** A Data reply that did not fit the call's replyData fails the call; the stream stayed in sync. */
    private void complete(Pending call, Message reply) {
        if (call.replyData() != null && reply instanceof Data data
                && data.data().byteSize() > call.replyData().byteSize()) {
            call.reply().completeExceptionally(new IOException("a Data reply of " + data.data().byteSize()
                    + " bytes from " + connection.peer() + " exceeds the " + call.replyData().byteSize()
                    + " bytes of its destination"));
            return;
        }
        call.reply().complete(reply);
    }

    /** Ends the channel once: closes the connection, fails every pending call, then tells the owner. */
    private void end(Throwable cause) {
        List<Pending> failed;
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
        failed.forEach(call -> call.reply().completeExceptionally(closedException(cause)));
        try {
            onClosed.accept(cause);
        } catch (RuntimeException e) {
            Logger.error(e, "onClosed of the session to {} failed", connection.peer());
        }
    }

    /** A call waiting for its reply, and where a Data reply's bytes go (null: a segment of their own). */
    private record Pending(CompletableFuture<Message> reply, MemorySegment replyData) {
    }

    private IOException closedException(Throwable cause) {
        String reason = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        return new IOException("connection to " + connection.peer() + " closed: " + reason, cause);
    }
}
