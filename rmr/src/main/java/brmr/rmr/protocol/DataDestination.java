package brmr.rmr.protocol;

import brmr.device.IoBuffer;
import brmr.device.IoBuffers;
import java.lang.foreign.MemorySegment;

/**
 * Where the data of a received {@link Message.Write} or {@link Message.Data} goes: asked by
 * {@link RmrCodec} once the data's length is known, before a byte of it is read.
 */
@FunctionalInterface
public interface DataDestination {
    /** A heap segment grown as the bytes arrive, so that a declared length costs nothing until its bytes come. */
    DataDestination HEAP = (requestId, length) -> null;

    /**
     * The segment the {@code length} bytes of data of frame {@code requestId} are read into, or null
     * for a heap segment of their own.
     */
    Buffer take(long requestId, int length);

    /**
     * A segment of exactly the data's length; {@code pooled} is the buffer it belongs to, which the
     * decoded {@link Frame} owns and gives back on {@link Frame#release()} (null: the segment belongs to
     * whoever chose it).
     */
    record Buffer(MemorySegment segment, IoBuffer pooled) {
    }

    /** Data read into buffers taken from {@code buffers}, owned by their frames. */
    static DataDestination pooled(IoBuffers buffers) {
        return (requestId, length) -> {
            IoBuffer buffer = buffers.take(length);
            return new Buffer(buffer.segment(), buffer);
        };
    }
}
