package brmr.rmr.net;

import brmr.rmr.protocol.FrameInput;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * A {@link FrameInput} over a blocking channel: headers and small fields come from a native
 * read-ahead buffer (one read syscall takes whatever has arrived, several frames at once when the
 * peer pipelines), and data goes straight into its segment: the bytes already read ahead are copied
 * once, the rest is read from the channel into the segment itself. One reader at a time.
 */
final class ChannelInput extends FrameInput {
    static final int READ_AHEAD_BYTES = 64 * 1024;

    private final ReadableByteChannel channel;
    /** Read but not yet consumed: between position and limit; used by the receiving thread only. */
    private final ByteBuffer readAhead;

    ChannelInput(ReadableByteChannel channel, int readAheadBytes) {
        this.channel = channel;
        this.readAhead = ByteBuffer.allocateDirect(readAheadBytes).flip();
    }

    @Override
    public int read() throws IOException {
        if (!readAhead.hasRemaining() && !fill()) {
            return -1;
        }
        return Byte.toUnsignedInt(readAhead.get());
    }

    @Override
    public int read(byte[] bytes, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (!readAhead.hasRemaining() && !fill()) {
            return -1;
        }
        int n = Math.min(length, readAhead.remaining());
        readAhead.get(bytes, offset, n);
        return n;
    }

    @Override
    public int available() {
        return readAhead.remaining();
    }

    @Override
    public void readFully(MemorySegment dst) throws IOException {
        long buffered = Math.min(dst.byteSize(), readAhead.remaining());
        MemorySegment.copy(MemorySegment.ofBuffer(readAhead), 0, dst, 0, buffered);
        readAhead.position(readAhead.position() + (int) buffered);
        ByteBuffer rest = dst.asSlice(buffered).asByteBuffer();
        while (rest.hasRemaining()) {
            if (channel.read(rest) < 0) {
                throw new EOFException("the connection ended " + rest.remaining() + " bytes before the data's end");
            }
        }
    }

    /** Reads what has arrived into the empty read-ahead buffer; false at end of stream. */
    private boolean fill() throws IOException {
        readAhead.clear();
        int n;
        do {
            n = channel.read(readAhead);
        } while (n == 0);
        readAhead.flip();
        return n > 0;
    }
}
