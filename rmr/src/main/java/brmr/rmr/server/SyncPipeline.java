package brmr.rmr.server;

import brmr.device.IoBuffer;
import brmr.device.IoBuffers;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.stream.LongStream;

/**
 * The sync thread's pipeline: keeps up to {@code queueDepth} chunk fetches in flight continuously
 * (no drain between runs), writes each run of adjacent chunks with one IO once all of it has arrived,
 * and makes what was written durable once per window of {@code window} chunks: one flush, then the
 * bits cleared. A chunk's bit is cleared only by a commit that started after its write returned. The
 * first failure other than a chunk no peer holds clean ends the pipeline ({@link #failed}):
 * {@link #finish} commits what was written and throws it.
 */
final class SyncPipeline implements AutoCloseable {
    /** Chunks fetched with one request (one read on the peer) add up to at most this many bytes. */
    static final int PIECE_BYTES = 1 << 20;

    private final ChunkSync chunkSync;
    private final ChunkSource source;
    private final int window;
    private final LongConsumer onCommitted;
    private final Semaphore slots;
    private final ExecutorService tasks = Executors.newVirtualThreadPerTaskExecutor();
    /** Serialises commits, so that one flush covers one window; held while committing. */
    private final ReentrantLock committing = new ReentrantLock();
    /** Chunks written but not yet committed, in write order; guarded by this. */
    private final List<Long> written = new ArrayList<>();
    /** Chunks no reachable peer holds clean, with why; guarded by this. */
    private final Map<Long, ChunkUnavailableException> unavailable = new LinkedHashMap<>();
    /** The first failure; guarded by this. */
    private IOException failure;
    /**
     * @param queueDepth fetches in flight at most
     * @param window chunks written per commit (one flush), at least 1
     * @param onCommitted hears how many chunks each commit made clean (one commit at a time)
     */
    SyncPipeline(ChunkSync chunkSync, ChunkSource source, int queueDepth, int window, LongConsumer onCommitted) {
        this.chunkSync = chunkSync;
        this.source = source;
        this.window = window;
        this.onCommitted = onCommitted;
        this.slots = new Semaphore(queueDepth);
    }

    /**
     * Fetches the claimed adjacent chunks {@code first..first+count-1} (count at most the queue depth),
     * waiting for room in the queue first.
     */
    void submit(long first, int count) throws InterruptedException {
        try {
            slots.acquire(count);
        } catch (InterruptedException e) {
            chunkSync.failed(LongStream.range(first, first + count).boxed().toList(),
                    new IOException("the sync was interrupted before fetching chunk " + first));
            throw e;
        }
        tasks.execute(() -> {
            try {
                fetchRun(first, count);
            } finally {
                slots.release(count);
            }
            commitIfWindowFull();
        });
    }

    /** Waits for every fetch in flight and commits what was written; throws the pipeline's failure. */
    void finish() throws IOException {
        tasks.close();
        commitWritten();
        throwFailure();
    }

    /** Chunks no reachable peer holds clean (they stay dirty), taken out of the pipeline. */
    synchronized Map<Long, ChunkUnavailableException> takeUnavailable() {
        Map<Long, ChunkUnavailableException> taken = new LinkedHashMap<>(unavailable);
        unavailable.clear();
        return taken;
    }

    /** Whether a failure has ended the pipeline: submit no more, {@link #finish} throws it. */
    synchronized boolean failed() {
        return failure != null;
    }

    /** Waits for the fetches in flight; claims not committed end as failed (their chunks stay dirty). */
    @Override
    public void close() {
        tasks.close();
        List<Long> left;
        synchronized (this) {
            left = List.copyOf(written);
            written.clear();
        }
        if (!left.isEmpty()) {
            chunkSync.failed(left, new IOException("the sync stopped before " + left.size() + " written chunks from "
                    + left.getFirst() + " on were durable"));
        }
    }

    /**
     * Fetches the run into one pooled buffer, each chunk at its place: pieces of up to
     * {@link #PIECE_BYTES} in parallel, each with one request (one read on the peer); a piece that fails
     * is fetched again chunk by chunk, so that each failure is a chunk's own. Then writes each stretch
     * that arrived straight from that buffer with one IO.
     */
    private void fetchRun(long first, int count) {
        int chunkSize = chunkSync.chunkSize();
        int piece = Math.max(1, PIECE_BYTES / chunkSize);
        int[] lengths = new int[count];
        IOException[] errors = new IOException[count];
        try (IoBuffer buffer = IoBuffers.shared().take(count * chunkSize)) {
            MemorySegment run = buffer.segment();
            try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int from = 0; from < count; from += piece) {
                    int start = from;
                    int end = Math.min(count, from + piece);
                    parallel.execute(() -> fetchPiece(first, start, end, run, lengths, errors));
                }
            }
            int start = 0;
            for (int i = 0; i <= count; i++) {
                if (i < count && errors[i] == null && (lengths[i] == chunkSize || i == count - 1)) {
                    continue;
                }
                // a short chunk ends its stretch (only the store's last chunk may be short)
                int end = i < count && errors[i] == null ? i + 1 : i;
                if (end > start) {
                    long bytes = (long) (end - 1 - start) * chunkSize + lengths[end - 1];
                    install(first + start, end - start, run.asSlice((long) start * chunkSize, bytes));
                }
                if (i < count && errors[i] != null) {
                    failed(first + i, errors[i]);
                }
                start = i + 1;
            }
        }
    }

    /** Fetches chunks {@code first+from..first+end-1} into their places in {@code run}, noting each one's length or error. */
    private void fetchPiece(long first, int from, int end, MemorySegment run, int[] lengths, IOException[] errors) {
        int chunkSize = chunkSync.chunkSize();
        if (end - from > 1) {
            try {
                long read = source.fetchRun(first + from, end - from,
                        run.asSlice((long) from * chunkSize, (long) (end - from) * chunkSize));
                if (read <= (long) (end - from - 1) * chunkSize) {
                    throw new IOException("chunks " + (first + from) + ".." + (first + end - 1) + " came back as "
                            + read + " bytes");
                }
                for (int i = from; i < end; i++) {
                    lengths[i] = (int) Math.clamp(read - (long) (i - from) * chunkSize, 0, chunkSize);
                }
                return;
            } catch (IOException | RuntimeException e) {
                // one chunk of the piece may be dirty on every peer: learn which, chunk by chunk
            }
        }
        for (int i = from; i < end; i++) {
            try {
                lengths[i] = source.fetch(first + i, run.asSlice((long) i * chunkSize, chunkSize));
            } catch (IOException | RuntimeException e) {
                errors[i] = e instanceof IOException io ? io : new IOException(e.toString(), e);
            }
        }
    }

    private void install(long first, int count, MemorySegment data) {
        List<Long> run = LongStream.range(first, first + count).boxed().toList();
        try {
            chunkSync.install(first, count, data);
        } catch (IOException | RuntimeException e) {
            IOException error = e instanceof IOException io ? io : new IOException(e.toString(), e);
            chunkSync.failed(run, error);
            record(error);
            return;
        }
        synchronized (this) {
            written.addAll(run);
        }
    }

    private void failed(long chunk, IOException error) {
        chunkSync.failed(List.of(chunk), error);
        if (error instanceof ChunkUnavailableException none) {
            synchronized (this) {
                unavailable.put(chunk, none);
            }
        } else {
            record(error);
        }
    }

    private synchronized void record(IOException error) {
        if (failure == null) {
            failure = error;
        }
    }

    private synchronized void throwFailure() throws IOException {
        if (failure != null) {
            throw failure;
        }
    }

    /** A full window is committed by the task that filled it, unless a commit runs already. */
    private void commitIfWindowFull() {
        synchronized (this) {
            if (written.size() < window) {
                return;
            }
        }
        if (committing.tryLock()) {
            try {
                commitWritten();
            } catch (IOException e) {
                record(e);
            } finally {
                committing.unlock();
            }
        }
    }

    /** One flush for everything written so far, then the bits cleared. */
    private void commitWritten() throws IOException {
        committing.lock();
        try {
            List<Long> chunks;
            synchronized (this) {
                chunks = List.copyOf(written);
                written.clear();
            }
            if (chunks.isEmpty()) {
                return;
            }
            chunkSync.commit(chunks);
            onCommitted.accept(chunks.size());
        } finally {
            committing.unlock();
        }
    }
}
