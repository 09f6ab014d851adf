package brmr.rmr.protocol;

import brmr.device.IoBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One decoded frame: a message and the request id that pairs a reply with its request.
 *
 * <p>Ownership: a frame read into a pooled buffer (see {@link DataDestination#pooled}) owns that
 * buffer, and a {@link Message.Write}'s or {@link Message.Data}'s {@code data} is a view of it. Whoever
 * received the frame calls {@link #release()} once nothing uses the message's data any more (the
 * request server does it once the request's reply is sent); a handler may {@link #hold} the buffers
 * of its reply on the request's frame, so that they go back with it. Equality is by request id and
 * message; the buffers do not count.
 */
public final class Frame {
    private final long requestId;
    private final Message message;
    /** Buffers given back by {@link #release()}; guarded by this; null once released. */
    private List<IoBuffer> owned = new ArrayList<>(1);

    public Frame(long requestId, Message message) {
        this.requestId = requestId;
        this.message = Objects.requireNonNull(message, "message");
    }

    /** A frame whose message's data lives in {@code buffer} (null: none), which {@link #release()} gives back. */
    public Frame(long requestId, Message message, IoBuffer buffer) {
        this(requestId, message);
        if (buffer != null) {
            owned.add(buffer);
        }
    }

    public long requestId() {
        return requestId;
    }

    public Message message() {
        return message;
    }

    /** {@code buffer} goes back with this frame's; after {@link #release()}, it goes back at once. */
    public void hold(IoBuffer buffer) {
        synchronized (this) {
            if (owned != null) {
                owned.add(buffer);
                return;
            }
        }
        buffer.close();
    }

    /** Gives the frame's buffers back; idempotent. The message's data must not be used afterwards. */
    public void release() {
        List<IoBuffer> buffers;
        synchronized (this) {
            buffers = owned;
            owned = null;
        }
        if (buffers != null) {
            buffers.forEach(IoBuffer::close);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Frame that && requestId == that.requestId && message.equals(that.message);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(requestId) + message.hashCode();
    }

    @Override
    public String toString() {
        return "Frame[requestId=" + requestId + ", message=" + message + "]";
    }
}
