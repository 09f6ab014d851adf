package brmr.rmr.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The bytes {@link RmrCodec} reads frames from: a stream for the header and fields, and
 * {@link #readFully(MemorySegment)} for the data of a Write or Data, which an input over a channel
 * reads straight into the segment.
 */
public abstract class FrameInput extends InputStream {
    private static final int PIECE_BYTES = 64 * 1024;

    /** An input over a stream: data is copied through a heap piece (as TLS copies anyway). */
    public static FrameInput of(InputStream in) {
        if (in instanceof FrameInput input) {
            return input;
        }
        return new FrameInput() {
            @Override
            public int read() throws IOException {
                return in.read();
            }

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
                return in.read(bytes, offset, length);
            }
        };
    }

    /** Fills {@code dst} completely; EOFException when the input ends first. */
    public void readFully(MemorySegment dst) throws IOException {
        byte[] piece = new byte[(int) Math.min(dst.byteSize(), PIECE_BYTES)];
        long done = 0;
        while (done < dst.byteSize()) {
            int n = read(piece, 0, (int) Math.min(piece.length, dst.byteSize() - done));
            if (n < 0) {
                throw new EOFException("the input ended " + (dst.byteSize() - done) + " bytes before the data's end");
            }
            MemorySegment.copy(piece, 0, dst, ValueLayout.JAVA_BYTE, done, n);
            done += n;
        }
    }
}
