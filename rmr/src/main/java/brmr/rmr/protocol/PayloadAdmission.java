package brmr.rmr.protocol;

import java.io.IOException;

/** Sees a frame's type and payload length before its payload is read; see {@link RmrCodec#read(java.io.InputStream, PayloadAdmission)}. */
@FunctionalInterface
public interface PayloadAdmission {
    /**
     * Returns when the payload may be read.
     *
     * @throws ProtocolException the frame is refused (e.g. too large for this connection); the connection has to close
     * @throws IOException the wait was cut short (e.g. the connection closed or the thread was interrupted)
     */
    void admit(String messageType, long payloadBytes) throws IOException, ProtocolException;
}
