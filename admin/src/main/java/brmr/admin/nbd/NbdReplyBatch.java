package brmr.admin.nbd;

import brmr.device.IoBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Replies waiting to go out on a socket channel together: their headers packed in one native buffer, each
 * read's data left in its own buffer, all sent by one gathering write, after which the data buffers are
 * closed. Bounded, so that replies never pile up unsent while other replies keep arriving. Not thread-safe:
 * used under the connection's reply lock only.
 */
final class NbdReplyBatch {
    /** Past this many bytes the batch goes out at once: sharing a syscall pays off for small replies only. */
    static final int MAXIMUM_BYTES = 256 * 1024;
    /** Past this many replies the batch goes out at once; bounds the header buffer and the gather list. */
    static final int MAXIMUM_REPLIES = 64;

    private final ByteBuffer headers =
            ByteBuffer.allocateDirect(MAXIMUM_REPLIES * NbdCodec.SIMPLE_REPLY_HEADER_BYTES);
    /** A run of headers, then a data buffer, and so on: the gather list of the next write. */
    private final ByteBuffer[] parts = new ByteBuffer[2 * MAXIMUM_REPLIES];
    private final List<IoBuffer> data = new ArrayList<>(MAXIMUM_REPLIES);
    private int partCount;
    /** Where the headers not yet in {@link #parts} start. */
    private int unlistedHeaders;
    private int replies;
    private long bytes;

    /** Adds a reply and takes its {@code payload} (null for none) over; returns true when the batch is full. */
    boolean add(NbdCodec.SimpleReply reply, IoBuffer payload) {
        NbdCodec.encodeSimpleReply(headers, reply);
        replies++;
        bytes += NbdCodec.SIMPLE_REPLY_HEADER_BYTES;
        if (payload != null) {
            data.add(payload);
            listHeaders();
            parts[partCount++] = payload.segment().asByteBuffer();
            bytes += payload.length();
        }
        return replies >= MAXIMUM_REPLIES || bytes >= MAXIMUM_BYTES;
    }

    boolean isEmpty() {
        return replies == 0;
    }

    /** Writes every reply of the batch and empties it, also when the write fails (the buffers are closed then too). */
    void writeTo(GatheringByteChannel channel) throws IOException {
        try {
            listHeaders();
            int first = 0;
            while (first < partCount) {
                // a blocking channel may still write only part of a gather list
                channel.write(parts, first, partCount - first);
                while (first < partCount && !parts[first].hasRemaining()) {
                    first++;
                }
            }
        } finally {
            clear();
        }
    }

    /** Drops the replies not sent and closes their buffers. */
    void clear() {
        data.forEach(IoBuffer::close);
        data.clear();
        Arrays.fill(parts, 0, partCount, null);
        partCount = 0;
        headers.clear();
        unlistedHeaders = 0;
        replies = 0;
        bytes = 0;
    }

    private void listHeaders() {
        int end = headers.position();
        if (end > unlistedHeaders) {
            parts[partCount++] = headers.slice(unlistedHeaders, end - unlistedHeaders);
            unlistedHeaders = end;
        }
    }
}
