package brmr.admin.nbd;

import brmr.device.IoBuffer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/**
 * The transmission IO over the connection's byte streams, as TLS needs them: payloads and read data are
 * copied through a chunk buffer each way, and the buffered output stream gathers replies until a flush.
 */
final class NbdStreamWire implements NbdWire {
    private static final int CHUNK_BYTES = 64 * 1024;

    private final DataInputStream in;
    private final DataOutputStream out;
    /** The reader thread's only. */
    private final ByteBuffer requestHeader = ByteBuffer.allocate(NbdCodec.REQUEST_HEADER_BYTES);
    /** The reader thread's only. */
    private final byte[] inChunk = new byte[CHUNK_BYTES];
    /** Guarded by the caller's reply lock, as {@link #outChunk} and {@link #out}. */
    private final ByteBuffer replyHeader = ByteBuffer.allocate(NbdCodec.SIMPLE_REPLY_HEADER_BYTES);
    private final byte[] outChunk = new byte[CHUNK_BYTES];

    NbdStreamWire(DataInputStream in, DataOutputStream out) {
        this.in = in;
        this.out = out;
    }

    @Override
    public NbdRequest readRequest() throws IOException {
        in.readFully(requestHeader.array());
        return NbdCodec.decodeRequest(requestHeader.clear());
    }

    @Override
    public void readPayload(MemorySegment payload) throws IOException {
        for (long done = 0; done < payload.byteSize(); ) {
            int length = (int) Math.min(CHUNK_BYTES, payload.byteSize() - done);
            in.readFully(inChunk, 0, length);
            MemorySegment.copy(inChunk, 0, payload, ValueLayout.JAVA_BYTE, done, length);
            done += length;
        }
    }

    @Override
    public void skip(long bytes) throws IOException {
        in.skipNBytes(bytes);
    }

    @Override
    public void reply(NbdCodec.SimpleReply reply, IoBuffer data) throws IOException {
        try (data) {
            NbdCodec.encodeSimpleReply(replyHeader.clear(), reply);
            out.write(replyHeader.array());
            if (data != null) {
                MemorySegment segment = data.segment();
                for (long done = 0; done < segment.byteSize(); ) {
                    int length = (int) Math.min(CHUNK_BYTES, segment.byteSize() - done);
                    MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, done, outChunk, 0, length);
                    out.write(outChunk, 0, length);
                    done += length;
                }
            }
        }
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }
}
