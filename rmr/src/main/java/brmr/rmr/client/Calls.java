package brmr.rmr.client;

import brmr.rmr.IoOp;
import brmr.rmr.PoolException;
import brmr.rmr.protocol.Message;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Requests to several legs at once, and the checks every caller makes of a reply. */
final class Calls {
    private Calls() {
    }

    /**
     * Sends {@code request} to every leg, then waits for all replies; a leg whose session ends (or
     * times out) answers with an IO_ERROR Failure naming why.
     */
    static Map<Leg, Message> all(List<Leg> targets, Message request) {
        return all(targets, request, null, 0);
    }

    /** As {@link #all(List, Message)}, recording each leg's reply as one {@code op} of {@code bytes} in its stats. */
    static Map<Leg, Message> all(List<Leg> targets, Message request, IoOp op, long bytes) {
        Map<Leg, CompletableFuture<Message>> pending = new LinkedHashMap<>();
        for (Leg leg : targets) {
            long start = System.nanoTime();
            CompletableFuture<Message> reply = leg.callAsync(request);
            if (op != null) {
                // timed where each reply lands, not where it is joined, so a slow leg does not bill the others
                reply = reply.whenComplete((message, error) -> leg.ioStats().record(op, bytes,
                        System.nanoTime() - start, error == null && !(message instanceof Message.Failure)));
            }
            pending.put(leg, reply);
        }
        Map<Leg, Message> replies = new LinkedHashMap<>();
        pending.forEach((leg, future) -> {
            Message reply;
            try {
                reply = future.join();
            } catch (CompletionException | CancellationException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                reply = new Message.Failure(Message.Status.IO_ERROR, cause.getMessage() != null
                        ? cause.getMessage() : cause.toString());
            }
            replies.put(leg, reply);
        });
        return replies;
    }

    static <T extends Message> T expect(Leg leg, Message reply, Class<T> type) throws IOException, PoolException {
        if (type.isInstance(reply)) {
            return type.cast(reply);
        }
        if (reply instanceof Message.Failure failure) {
            throw new PoolException("leg " + leg.name(), failure.message());
        }
        throw new IOException(leg.name() + " answered " + reply.getClass().getSimpleName() + ", expected "
                + type.getSimpleName());
    }

    static String describe(Message reply) {
        return reply instanceof Message.Failure f ? f.status() + " " + f.message() : reply.getClass().getSimpleName();
    }

    static boolean isDirty(Message reply) {
        return reply instanceof Message.Failure f && f.status() == Message.Status.DIRTY;
    }
}
