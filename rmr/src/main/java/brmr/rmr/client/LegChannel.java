package brmr.rmr.client;

import brmr.rmr.protocol.Message;
import java.util.concurrent.CompletableFuture;

/**
 * The transport one session of a leg runs over: requests out, replies matched to them. A channel
 * that ends (peer gone, closed) fails its pending and later calls; it never times a call out itself,
 * that is the {@link LegConnection}'s job.
 */
public interface LegChannel {
    /** Sends {@code request}; the future completes with the reply, or exceptionally when the channel ends. */
    CompletableFuture<Message> call(Message request);

    /** Ends the channel; idempotent. Pending calls fail. */
    void close();

    /** Whether both ends proved they hold the shared secret when the channel opened. */
    default boolean authenticated() {
        return false;
    }
}
