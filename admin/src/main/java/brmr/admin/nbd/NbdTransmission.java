package brmr.admin.nbd;

import brmr.device.IoBuffer;
import brmr.device.IoBuffers;
import brmr.rmr.net.ByteBudget;
import java.io.EOFException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import org.tinylog.Logger;

/**
 * The transmission phase of one connection: a reader loop that hands each request to its own
 * virtual thread, so pipelined requests run concurrently and replies go out as they complete.
 * A write's payload and a read's data live in a buffer taken from the pool for the request and
 * given back once the export has written it or its reply has been sent.
 *
 * <p>A flush waits for every write, trim and write-zeroes received before it, then flushes the
 * export, so everything the client saw completed before sending the flush is covered.
 */
final class NbdTransmission {
    private static final int ALLOWED_FLAGS = NbdCodec.CMD_FLAG_FUA | NbdCodec.CMD_FLAG_NO_HOLE;

    private final NbdWire wire;
    private final NegotiatedExport negotiated;
    private final NbdExport export;
    private final String peer;
    /** Guards sending on {@link #wire}: one reply at a time. */
    private final ReentrantLock replyLock = new ReentrantLock();
    /** Caps the read and write data this connection holds in memory; the reader waits when it is reached. */
    private final ByteBudget.Share inFlightBytes;
    private final NbdConnection connection;
    private final Set<CompletableFuture<Void>> unfinishedWrites = ConcurrentHashMap.newKeySet();
    private final IoBuffers buffers;

    NbdTransmission(NbdWire wire, NegotiatedExport negotiated, String peer, NbdConnection connection,
            ByteBudget.Share inFlightBytes, IoBuffers buffers) {
        this.wire = wire;
        this.negotiated = negotiated;
        this.export = negotiated.export();
        this.peer = peer;
        this.connection = connection;
        this.inFlightBytes = inFlightBytes;
        this.buffers = buffers;
    }

    /** Serves requests until NBD_CMD_DISC or end of stream, then waits for those in flight. */
    void run() throws IOException {
        try (ExecutorService handlers = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("nbd-request-" + peer).factory())) {
            while (true) {
                NbdRequest request;
                try {
                    request = wire.readRequest();
                } catch (EOFException e) {
                    Logger.info("NBD client {} hung up without NBD_CMD_DISC", peer);
                    return;
                }
                if (request.type() == NbdCodec.CMD_DISC) {
                    Logger.debug("NBD client {} disconnects", peer);
                    return;
                }
                dispatch(request, handlers);
            }
        }
    }

    private void dispatch(NbdRequest request, ExecutorService handlers) throws IOException {
        boolean carriesData = request.type() == NbdCodec.CMD_WRITE;
        if (carriesData && request.length() > NbdBlockSizes.MAXIMUM_PAYLOAD) {
            // its data cannot be skipped cheaply and the client ignored the advertised maximum
            throw new NbdProtocolException("write of " + request.length() + " bytes exceeds the advertised maximum "
                    + NbdBlockSizes.MAXIMUM_PAYLOAD);
        }
        if (carriesData) {
            int refused = modificationError(request, true, NbdCodec.ENOSPC);
            if (refused != 0) {
                // checked before any allocation: the data is consumed to keep the stream in step, never held
                wire.skip(request.length());
                reply(request, refused, null);
                return;
            }
        }
        int permits = reserveMemory(request);
        IoBuffer payload;
        try {
            payload = carriesData ? readPayload(request) : null;
        } catch (IOException | RuntimeException | Error e) {
            // the budget is shared with the daemon's other connections, so nothing may leak from it
            inFlightBytes.release(permits);
            throw e;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (modifiesData(request.type())) {
            unfinishedWrites.add(done);
        }
        // taken on the reader thread, so it holds exactly the writes received before this flush
        CompletableFuture<?>[] writesBefore = request.type() == NbdCodec.CMD_FLUSH
                ? unfinishedWrites.toArray(CompletableFuture<?>[]::new)
                : new CompletableFuture<?>[0];
        try {
            handlers.execute(() -> {
                try (payload) {
                    serve(request, payload, writesBefore);
                } catch (Error e) {
                    // e.g. OutOfMemoryError: the client waits for a reply that will not come, so it must see the end
                    Logger.error(e, "NBD {} for {} failed; closing the connection",
                            NbdCodec.commandName(request.type()), peer);
                    closeBrokenStream();
                } finally {
                    unfinishedWrites.remove(done);
                    done.complete(null);
                    inFlightBytes.release(permits);
                }
            });
        } catch (RuntimeException | Error e) {
            // no handler thread will give back what this request holds
            if (payload != null) {
                payload.close();
            }
            unfinishedWrites.remove(done);
            done.complete(null);
            inFlightBytes.release(permits);
            throw e;
        }
    }

    /** Blocks the reader until the request's data fits in the connection's budget; returns the permits taken. */
    private int reserveMemory(NbdRequest request) throws IOException {
        boolean transfersData = request.type() == NbdCodec.CMD_WRITE || request.type() == NbdCodec.CMD_READ;
        long data = transfersData ? Math.min(request.length(), NbdBlockSizes.MAXIMUM_PAYLOAD) : 0;
        int permits = (int) Math.max(ByteBudget.REQUEST_OVERHEAD_BYTES, data);
        return inFlightBytes.acquire(permits, connection::isOpen);
    }

    /** The write's data in a buffer of its own, or null for a write of nothing. */
    private IoBuffer readPayload(NbdRequest request) throws IOException {
        if (request.length() == 0) {
            return null;
        }
        IoBuffer payload = buffers.take((int) request.length());
        try {
            wire.readPayload(payload.segment());
            return payload;
        } catch (IOException | RuntimeException | Error e) {
            payload.close();
            throw e;
        }
    }

    private static boolean modifiesData(int type) {
        return type == NbdCodec.CMD_WRITE || type == NbdCodec.CMD_TRIM || type == NbdCodec.CMD_WRITE_ZEROES;
    }

    private void serve(NbdRequest request, IoBuffer payload, CompletableFuture<?>[] writesBefore) {
        if (request.type() == NbdCodec.CMD_READ) {
            serveRead(request);
            return;
        }
        int error;
        try {
            error = switch (request.type()) {
                case NbdCodec.CMD_WRITE -> write(request, payload);
                case NbdCodec.CMD_FLUSH -> flush(writesBefore);
                case NbdCodec.CMD_TRIM -> trim(request);
                case NbdCodec.CMD_WRITE_ZEROES -> writeZeroes(request);
                default -> {
                    Logger.warn("NBD client {} sent unknown command {}", peer, request.type());
                    yield NbdCodec.EINVAL;
                }
            };
        } catch (IOException | RuntimeException e) {
            error = failed(request, e);
        }
        reply(request, error, null);
    }

    private void serveRead(NbdRequest request) {
        int error = flagsError(request);
        if (error == 0 && request.length() > NbdBlockSizes.MAXIMUM_PAYLOAD) {
            error = NbdCodec.EINVAL;
        }
        if (error == 0) {
            error = rangeError(request, NbdCodec.EINVAL);
        }
        if (error != 0 || request.length() == 0) {
            reply(request, error, null);
            return;
        }
        IoBuffer data = buffers.take((int) request.length());
        boolean filled = false;
        try {
            export.read(request.offset(), data.segment());
            filled = true;
        } catch (IOException | RuntimeException e) {
            error = failed(request, e);
        } finally {
            if (!filled) {
                data.close();
            }
        }
        reply(request, error, filled ? data : null);
    }

    private int write(NbdRequest request, IoBuffer payload) throws IOException {
        int error = modificationError(request, true, NbdCodec.ENOSPC);
        if (error == 0 && payload != null) {
            export.write(request.offset(), payload.segment(), request.hasFlag(NbdCodec.CMD_FLAG_FUA));
        }
        return error;
    }

    private int flush(CompletableFuture<?>[] writesBefore) throws IOException {
        CompletableFuture.allOf(writesBefore).join();
        export.flush();
        return 0;
    }

    private int trim(NbdRequest request) throws IOException {
        int error = modificationError(request, negotiated.trim(), NbdCodec.EINVAL);
        if (error == 0 && request.length() > 0) {
            export.trim(request.offset(), request.length());
            flushIfForced(request);
        }
        return error;
    }

    private int writeZeroes(NbdRequest request) throws IOException {
        int error = modificationError(request, negotiated.writeZeroes(), NbdCodec.ENOSPC);
        if (error == 0 && request.length() > 0) {
            export.writeZeroes(request.offset(), request.length());
            flushIfForced(request);
        }
        return error;
    }

    /** The export only knows FUA for writes; for trim and zeroes a flush gives the same guarantee. */
    private void flushIfForced(NbdRequest request) throws IOException {
        if (request.hasFlag(NbdCodec.CMD_FLAG_FUA)) {
            export.flush();
        }
    }

    private int modificationError(NbdRequest request, boolean advertised, int beyondEndError) {
        if (negotiated.readOnly()) {
            return NbdCodec.EPERM;
        }
        if (!advertised) {
            return NbdCodec.EINVAL;
        }
        int error = flagsError(request);
        return error != 0 ? error : rangeError(request, beyondEndError);
    }

    private int flagsError(NbdRequest request) {
        if ((request.flags() & ~ALLOWED_FLAGS) != 0) {
            Logger.warn("NBD client {} sent {} with unsupported flags 0x{}", peer,
                    NbdCodec.commandName(request.type()), Integer.toHexString(request.flags()));
            return NbdCodec.EINVAL;
        }
        return 0;
    }

    private int rangeError(NbdRequest request, int beyondEndError) {
        long size = negotiated.size();
        if (request.offset() < 0 || request.offset() > size || request.length() > size - request.offset()) {
            Logger.debug("NBD client {} sent {} beyond the end: offset {} length {} size {}", peer,
                    NbdCodec.commandName(request.type()), request.offset(), request.length(), size);
            return beyondEndError;
        }
        if (!negotiated.blockSizes().aligned(request.offset(), request.length(), size)) {
            Logger.warn("NBD client {} sent {} not aligned to {} bytes: offset {} length {}", peer,
                    NbdCodec.commandName(request.type()), negotiated.blockSizes().minimum(), request.offset(),
                    request.length());
            return NbdCodec.EINVAL;
        }
        return 0;
    }

    private int failed(NbdRequest request, Exception e) {
        if (e instanceof IOException) {
            Logger.warn("NBD {} for {} at offset {} length {} on export '{}' failed: {}",
                    NbdCodec.commandName(request.type()), peer, request.offset(), request.length(), export.name(),
                    e.toString());
        } else {
            Logger.error(e, "NBD {} for {} at offset {} length {} on export '{}' failed unexpectedly",
                    NbdCodec.commandName(request.type()), peer, request.offset(), request.length(), export.name());
        }
        return NbdCodec.EIO;
    }

    /** Sends the reply and, for a successful read, its {@code data} (null for none), which it takes over. */
    private void reply(NbdRequest request, int error, IoBuffer data) {
        replyLock.lock();
        connection.replyStarted();
        try {
            wire.reply(new NbdCodec.SimpleReply(error, request.cookie()), data);
            // a reply waiting for the lock flushes this one with its own: many small replies, one syscall
            if (!replyLock.hasQueuedThreads()) {
                wire.flush();
            }
        } catch (IOException e) {
            Logger.debug("NBD reply to {} not sent: {}", peer, e.toString());
            closeBrokenStream();
        } finally {
            connection.replyEnded();
            replyLock.unlock();
        }
    }

    /** A reply cut off midway leaves the stream unusable, so the reader must stop too. */
    private void closeBrokenStream() {
        try {
            connection.close();
        } catch (IOException e) {
            Logger.debug("NBD connection {} did not close cleanly: {}", peer, e.toString());
        }
    }
}
