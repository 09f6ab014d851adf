package brmr.rmr.client;

import brmr.rmr.protocol.Message;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The transport one session of a leg runs over: requests out, replies matched to them. A channel
 * that ends (peer gone, closed) fails its pending and later calls; it never times a call out itself,
 * that is the {@link LegConnection}'s job.
 */
public interface LegChannel {
    /** Sends {@code request}; the future completes with the reply, or exceptionally when the channel ends. */
    CompletableFuture<Message> call(Message request);

    /**
     * As {@link #call(Message)}; a {@link Message.Data} reply's bytes land in {@code replyData} and its
     * {@code data()} is {@code replyData} sliced to their length; a longer one fails the call.
     * {@code replyData} belongs to the channel until the future completes. This default copies the
     * reply of {@link #call(Message)} (in-process channels); a socket's channel reads into it directly.
     */
    default CompletableFuture<Message> call(Message request, MemorySegment replyData) {
        return call(request).thenApply(reply -> {
            if (!(reply instanceof Message.Data data)) {
                return reply;
            }
            if (data.data().byteSize() > replyData.byteSize()) {
                throw new CompletionException(new IOException("a Data reply of " + data.data().byteSize()
                        + " bytes exceeds the " + replyData.byteSize() + " bytes of its destination"));
            }
            MemorySegment dst = replyData.asSlice(0, data.data().byteSize());
            dst.copyFrom(data.data());
            return new Message.Data(dst);
        });
    }

    /** Ends the channel; idempotent. Pending calls fail. */
    void close();

    /** Whether both ends proved they hold the shared secret when the channel opened. */
    default boolean authenticated() {
        return false;
    }
}
