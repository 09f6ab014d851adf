package brmr.rmr.protocol;

import java.util.Objects;

/** One decoded frame: a message and the request id that pairs a reply with its request. */
public record Frame(long requestId, Message message) {
    public Frame {
        Objects.requireNonNull(message, "message");
    }
}
