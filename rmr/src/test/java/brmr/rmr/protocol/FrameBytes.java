package brmr.rmr.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Frames as bytes, for tests that play a peer or corrupt what a peer sends. */
public final class FrameBytes {
    private FrameBytes() {
    }

    public static byte[] encode(long requestId, Message message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            RmrCodec.write(out, requestId, message);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A copy of {@code frame} claiming another protocol version. */
    public static byte[] withVersion(byte[] frame, int version) {
        byte[] copy = frame.clone();
        copy[RmrCodec.VERSION_OFFSET] = (byte) version;
        return copy;
    }

    /** The header of {@code message}'s frame alone, declaring a payload of {@code payloadBytes} (e.g. far more than follows). */
    public static byte[] headerDeclaring(Message message, long payloadBytes) {
        byte[] header = java.util.Arrays.copyOf(encode(0, message), RmrCodec.HEADER_BYTES);
        java.nio.ByteBuffer.wrap(header).putInt(RmrCodec.LENGTH_OFFSET, (int) payloadBytes);
        return header;
    }
}
