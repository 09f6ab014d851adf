package brmr.rmr.net;

import brmr.device.IoBuffers;
import brmr.rmr.protocol.DataDestination;
import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Failure;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.ProtocolException;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.tinylog.Logger;

/**
 * The serving side of one connection: reads requests and answers each with its {@link Handler}'s
 * reply under the request's id. The requests of a connection are handled concurrently, each on its
 * own virtual thread, because a client pipelines its IO; replies go out as they are ready.
 *
 * <p>A request's data (a Write's) is read into a buffer of {@link IoBuffers#shared()} that its
 * {@link Frame} owns; the frame is released once the reply is sent (or dropped), and with it the
 * buffers the handler {@linkplain Frame#hold held} for the reply (e.g. a read's Data).
 */
public final class RequestServer {
    /** What a connection's requests are answered by. */
    public interface Handler {
        /**
         * Answers one request; called concurrently for the requests of one connection. Exceptions
         * become a {@link Failure} reply: {@link Status#INVALID} for an IllegalArgumentException,
         * {@link Status#IO_ERROR} for anything else, with the exception's message.
         */
        Message handle(Message request) throws Exception;

        /**
         * As {@link #handle(Message)}, with the request's frame, on which the handler may
         * {@linkplain Frame#hold hold} the pooled buffers its reply's data lives in: they are given
         * back once the reply is sent. The request's data is valid until then too.
         */
        default Message handle(Frame request) throws Exception {
            return handle(request.message());
        }

        /**
         * The connection has ended; called once, after every {@link #handle} call of the connection
         * has returned (their replies are dropped when the connection is gone). {@code cause} is an
         * EOFException when the peer closed between frames, a {@link ProtocolException} when it
         * broke the protocol, another IOException when the connection broke or was closed locally.
         */
        void closed(Throwable cause);

        /**
         * The bytes the reply to {@code request} will hold (e.g. a read's data), charged to the
         * connection's budget before the request is handled; the request's own payload is charged anyway.
         */
        default long replyBytes(Message request) {
            return 0;
        }
    }

    private RequestServer() {
    }

    /**
     * Serves the connection on the calling thread until it ends (EOF, error, protocol error, or a
     * close from another thread), closes it at once, waits for the handlers still running (their
     * replies are dropped) and then calls {@link Handler#closed} on the calling thread. A peer that
     * breaks the protocol is told so, as far as it still listens, with a {@link Failure} of
     * {@link Status#PROTOCOL} under request id 0. Each request is handled on its own virtual thread.
     */
    public static void serve(FramedConnection connection, Handler handler) {
        serve(connection, handler, IoBuffers.shared());
    }

    /** As {@link #serve(FramedConnection, Handler)}, requests' data read into buffers of {@code buffers}. */
    public static void serve(FramedConnection connection, Handler handler, IoBuffers buffers) {
        Objects.requireNonNull(handler, "handler");
        DataDestination requestData = DataDestination.pooled(buffers);
        Throwable cause = null;
        ByteBudget.Share budget = connection.inFlight();
        // written by the admission and read right after receive(), both on this thread
        int[] payloadBytes = new int[1];
        try (ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor()) {
            try {
                while (true) {
                    payloadBytes[0] = 0;
                    Frame request;
                    try {
                        request = connection.receive(
                                (type, length) -> payloadBytes[0] = budget.acquire(
                                        Math.max(length, ByteBudget.REQUEST_OVERHEAD_BYTES), connection::isOpen),
                                requestData);
                    } catch (IOException | ProtocolException | RuntimeException | Error e) {
                        // the budget is shared with the listener's other connections, so nothing may leak from it
                        budget.release(payloadBytes[0]);
                        throw e;
                    }
                    int held = payloadBytes[0];
                    try {
                        held += budget.acquire(handler.replyBytes(request.message()), connection::isOpen);
                    } catch (IOException e) {
                        budget.release(held);
                        request.release();
                        throw e;
                    }
                    int heldBytes = held;
                    requests.execute(() -> answer(connection, request, handler, budget, heldBytes));
                }
            } catch (ProtocolException e) {
                cause = e;
                refuse(connection, e);
            } catch (IOException e) {
                cause = e;
            } catch (RuntimeException e) {
                cause = e;
                throw e;
            } catch (Error e) {
                // e.g. OutOfMemoryError: this connection ends, the daemon and its other connections go on
                cause = e;
                Logger.error(e, "reading from {} failed; closing the connection", connection.peer());
            } finally {
                connection.close();
            }
        } finally {
            handler.closed(cause);
        }
    }

    /** Handles one request and sends the reply, then gives its buffers back and its bytes to the budget. */
    private static void answer(FramedConnection connection, Frame request, Handler handler, ByteBudget.Share budget,
            int heldBytes) {
        try {
            Message reply = reply(connection.peer(), request, handler);
            try {
                connection.send(request.requestId(), reply);
            } catch (IllegalArgumentException e) {
                Logger.error("reply {} to {} cannot be encoded: {}", reply, connection.peer(), e.getMessage());
                sendFailure(connection, request.requestId(), "the reply cannot be encoded: " + e.getMessage());
            } catch (IOException e) {
                Logger.debug("reply {} to {} dropped: {}", reply, connection.peer(), e.getMessage());
            }
        } catch (Error e) {
            // the peer waits for a reply that will not come, so it must see the connection end
            Logger.error(e, "{} from {} failed; closing the connection", request.message().getClass().getSimpleName(),
                    connection.peer());
            connection.close();
        } finally {
            request.release();
            budget.release(heldBytes);
        }
    }

    private static Message reply(String peer, Frame request, Handler handler) {
        String requestType = request.message().getClass().getSimpleName();
        try {
            return Objects.requireNonNull(handler.handle(request), "the handler returned no reply to " + requestType);
        } catch (IllegalArgumentException e) {
            return new Failure(Status.INVALID, reason(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failure(Status.IO_ERROR, requestType + " interrupted");
        } catch (RuntimeException e) {
            Logger.error(e, "{} from {} failed", requestType, peer);
            return new Failure(Status.IO_ERROR, reason(e));
        } catch (Exception e) {
            Logger.warn("{} from {} failed: {}", requestType, peer, reason(e));
            return new Failure(Status.IO_ERROR, reason(e));
        }
    }

    private static void refuse(FramedConnection connection, ProtocolException e) {
        Logger.warn("{} broke the RMR protocol, closing the connection: {}", connection.peer(), e.getMessage());
        try {
            connection.send(0, new Failure(Status.PROTOCOL, e.getMessage()));
        } catch (IOException sendFailure) {
            Logger.debug("cannot tell {} why: {}", connection.peer(), sendFailure.getMessage());
        }
    }

    private static void sendFailure(FramedConnection connection, long requestId, String message) {
        try {
            connection.send(requestId, new Failure(Status.IO_ERROR, message));
        } catch (IOException e) {
            Logger.debug("failure reply to {} dropped: {}", connection.peer(), e.getMessage());
        }
    }

    private static String reason(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
