package brmr.admin.nbd;

import brmr.device.IoBuffer;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The transmission IO of a plain TCP connection, on its socket channel and without copies: request headers
 * come through a small read-ahead buffer; a write's payload goes into the request's own buffer (what was
 * read ahead copied once, the rest straight from the socket); replies go out as gathering writes of their
 * headers and data ({@link NbdReplyBatch}).
 */
final class NbdChannelWire implements NbdWire {
    static final int READ_AHEAD_BYTES = 64 * 1024;

    private final SocketChannel channel;
    /** Read from the socket but not yet consumed (position to limit); the reader thread's only. */
    private final ByteBuffer readAhead = ByteBuffer.allocateDirect(READ_AHEAD_BYTES);
    /** The reader thread's only: the rest of a payload, then the read-ahead buffer. */
    private final ByteBuffer[] scatter = new ByteBuffer[2];
    /** Guarded by the caller's reply lock. */
    private final NbdReplyBatch batch = new NbdReplyBatch();

    /** {@code alreadyRead}: what the negotiation's streams took off the socket beyond the last option. */
    NbdChannelWire(SocketChannel channel, byte[] alreadyRead) {
        if (alreadyRead.length > READ_AHEAD_BYTES) {
            throw new IllegalArgumentException("read-ahead of " + alreadyRead.length + " bytes exceeds "
                    + READ_AHEAD_BYTES);
        }
        this.channel = channel;
        readAhead.put(alreadyRead).flip();
    }

    @Override
    public NbdRequest readRequest() throws IOException {
        if (readAhead.remaining() < NbdCodec.REQUEST_HEADER_BYTES) {
            readAhead.compact();
            try {
                while (readAhead.position() < NbdCodec.REQUEST_HEADER_BYTES) {
                    readSome(readAhead);
                }
            } finally {
                readAhead.flip();
            }
        }
        return NbdCodec.decodeRequest(readAhead);
    }

    @Override
    public void readPayload(MemorySegment payload) throws IOException {
        ByteBuffer target = payload.asByteBuffer();
        int held = Math.min(readAhead.remaining(), target.remaining());
        target.put(readAhead.slice(readAhead.position(), held));
        readAhead.position(readAhead.position() + held);
        if (!target.hasRemaining()) {
            return;
        }
        // the read-ahead is empty now: the rest goes straight into the payload, what follows it behind
        readAhead.clear();
        scatter[0] = target;
        scatter[1] = readAhead;
        try {
            while (target.hasRemaining()) {
                if (channel.read(scatter) < 0) {
                    throw new EOFException("the NBD client hung up in the middle of a write's data");
                }
            }
        } finally {
            scatter[0] = null;
            readAhead.flip();
        }
    }

    @Override
    public void skip(long bytes) throws IOException {
        long left = bytes;
        while (left > 0) {
            if (!readAhead.hasRemaining()) {
                readAhead.clear();
                try {
                    readSome(readAhead);
                } finally {
                    readAhead.flip();
                }
            }
            int used = (int) Math.min(readAhead.remaining(), left);
            readAhead.position(readAhead.position() + used);
            left -= used;
        }
    }

    @Override
    public void reply(NbdCodec.SimpleReply reply, IoBuffer data) throws IOException {
        if (batch.add(reply, data)) {
            flush();
        }
    }

    @Override
    public void flush() throws IOException {
        if (!batch.isEmpty()) {
            batch.writeTo(channel);
        }
    }

    private void readSome(ByteBuffer into) throws IOException {
        if (channel.read(into) < 0) {
            throw new EOFException("the NBD client hung up");
        }
    }
}
