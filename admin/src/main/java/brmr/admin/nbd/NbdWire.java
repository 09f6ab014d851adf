package brmr.admin.nbd;

import brmr.device.IoBuffer;
import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * The transmission-phase IO of one connection: requests and write payloads come in on the connection's
 * reader thread; replies go out from the request threads, one at a time under the caller's reply lock.
 * Implemented over a plain socket channel without copies ({@link NbdChannelWire}) and over the TLS
 * streams ({@link NbdStreamWire}).
 */
interface NbdWire {
    /**
     * The next request header.
     *
     * @throws java.io.EOFException the client hung up (without NBD_CMD_DISC)
     */
    NbdRequest readRequest() throws IOException;

    /** Fills {@code payload} with the write data that follows the request just read. */
    void readPayload(MemorySegment payload) throws IOException;

    /** Consumes {@code bytes} of write data that will not be used, keeping the stream in step. */
    void skip(long bytes) throws IOException;

    /**
     * Sends (or queues until the next {@link #flush()}) a simple reply and, for a successful read, its
     * {@code data} (null for none). Takes {@code data} over in every case: it is closed once sent or dropped.
     */
    void reply(NbdCodec.SimpleReply reply, IoBuffer data) throws IOException;

    /** Puts every reply queued so far on the wire. */
    void flush() throws IOException;
}
