package brmr.rmr.server;

import brmr.rmr.PoolException;
import brmr.rmr.protocol.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.tinylog.Logger;

/**
 * The online verify of a pool: compares the CRC32C of each chunk of a range as this node holds it with
 * every reachable peer's, while client IO runs, {@code queueDepth} chunks at a time and no faster than
 * the sync rate. Chunks that this node or a peer lacks (dirty) are skipped. A mismatch is re-checked a
 * few times, since a client write may have landed on one leg and not yet on the other; only a mismatch
 * that persists counts as differing. With repair, differing chunks are marked dirty for this member, so
 * that {@code sync start} fetches them from a peer. It stops on the first failure, with the reason.
 */
public final class VerifyThread {
    /** What the verify needs of its pool. */
    interface Pool {
        String name();

        int chunkSize();

        /** Chunks of the pool's store; 0 while it has none. */
        long chunkCount();

        /** Null when the pool may be verified now (it has a store and is NORMAL), else why not. */
        String whyNotVerifying();

        /** The queue depth and the rate bound (MiB/s, 0 = unbounded) of the pool's sync. */
        SyncSettings settings();

        boolean isDirtyHere(long chunk);

        /** The chunk's CRC32C as this node holds it; a {@link Message.Status#DIRTY} refusal when it lacks it. */
        int localChecksum(long chunk) throws RequestException;

        /** Every peer's answer for the chunk, one per sync session. */
        List<PeerChecksum> peerChecksums(long chunk);

        /** Marks chunks dirty for this member, persists that, tells the peers (the discard path). */
        void markOwnDirty(long[] chunks) throws PoolException;
    }

    /** How a mismatch is re-checked before it counts: this many times, the pause doubling from the first. */
    static final int RECHECKS = 7;
    static final Duration FIRST_RECHECK_PAUSE = Duration.ofMillis(10);

    private enum Outcome { SAME, DIFFER, SKIPPED, UNDECIDED }

    private final Pool pool;
    private final int rechecks;
    private final Duration firstRecheckPause;
    // Lock order: this, then the pool's own locks (start asks the pool under this); the pool never
    // calls in here under its locks. pauseLock is never held together with another lock.
    /** Wakes the pauses (rate bound, re-checks) when a stop is requested. */
    private final Object pauseLock = new Object();
    private final AtomicLong bytesRead = new AtomicLong();
    private volatile boolean stopRequested;
    private volatile String stopReason;
    // guarded by this: the run's state and counters, so that progress() sees one consistent picture
    private Thread thread;
    private VerifyProgress.State state = VerifyProgress.State.IDLE;
    private String reason;
    private long compared;
    private long skipped;
    private final List<Long> differing = new ArrayList<>();
    private long first;
    private long last = -1;
    private boolean repair;
    private long startNanos;
    private long endNanos;

    VerifyThread(Pool pool) {
        this(pool, RECHECKS, FIRST_RECHECK_PAUSE);
    }

    VerifyThread(Pool pool, int rechecks, Duration firstRecheckPause) {
        this.pool = pool;
        this.rechecks = rechecks;
        this.firstRecheckPause = firstRecheckPause;
    }

    /**
     * Starts a verify of chunks {@code first..last} ({@code last} null: to the pool's last chunk); refused
     * with the field and the reason when the range is wrong, one already runs, or the pool is not NORMAL.
     */
    public synchronized void start(long fromChunk, Long toChunk, boolean repairing) throws PoolException {
        if (state == VerifyProgress.State.RUNNING) {
            throw new PoolException("verify", "the verify of pool " + pool.name() + " is already running");
        }
        long count = pool.chunkCount();
        String notNow = pool.whyNotVerifying();
        long lastChunk = toChunk != null ? toChunk : count - 1;
        if (fromChunk < 0) {
            throw new PoolException("first", fromChunk + " is negative");
        }
        if (lastChunk < 0 && toChunk != null) {
            throw new PoolException("last", lastChunk + " is negative");
        }
        if (count > 0) {
            if (fromChunk >= count) {
                throw new PoolException("first", fromChunk + " is beyond the pool's " + count + " chunks (0.."
                        + (count - 1) + ")");
            }
            if (lastChunk >= count) {
                throw new PoolException("last", lastChunk + " is beyond the pool's " + count + " chunks (0.."
                        + (count - 1) + ")");
            }
            if (lastChunk < fromChunk) {
                throw new PoolException("last", lastChunk + " is before first=" + fromChunk);
            }
        }
        if (notNow != null) {
            throw new PoolException("verify", notNow);
        }
        stopRequested = false;
        reason = null;
        compared = 0;
        skipped = 0;
        differing.clear();
        bytesRead.set(0);
        first = fromChunk;
        last = lastChunk;
        repair = repairing;
        startNanos = System.nanoTime();
        state = VerifyProgress.State.RUNNING;
        thread = Thread.ofVirtual().name("verify-" + pool.name()).start(this::run);
        Logger.info("pool {}: verify started, chunks {}..{}{}", pool.name(), first, last,
                repair ? ", differing chunks are marked dirty here" : "");
    }

    /** {@code verify stop}: ends the verify after the chunks in flight; returns once it has. */
    public void stop() {
        stop("stopped by the operator");
    }

    /** Ends the verify after the chunks in flight, reporting {@code why}; returns once it has. */
    public void stop(String why) {
        Thread running;
        synchronized (this) {
            if (state != VerifyProgress.State.RUNNING) {
                return;
            }
            running = thread;
            stopReason = why;
            stopRequested = true;
        }
        synchronized (pauseLock) {
            pauseLock.notifyAll();
        }
        try {
            running.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public synchronized VerifyProgress progress() {
        if (state == VerifyProgress.State.IDLE) {
            return VerifyProgress.idle();
        }
        long now = state == VerifyProgress.State.RUNNING ? System.nanoTime() : endNanos;
        Duration elapsed = Duration.ofNanos(now - startNanos);
        double seconds = elapsed.toNanos() / 1e9;
        double rate = seconds > 0 ? bytesRead.get() / 1048576.0 / seconds : 0;
        return new VerifyProgress(state, reason, compared, differing, skipped, first, last, repair, rate, elapsed);
    }

    private void run() {
        long from;
        long to;
        long began;
        boolean marking;
        synchronized (this) {
            from = first;
            to = last;
            began = startNanos;
            marking = repair;
        }
        try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
            for (long cursor = from; cursor <= to; ) {
                String notNow = stopRequested ? stopReason : pool.whyNotVerifying();
                if (notNow != null) {
                    finish(VerifyProgress.State.STOPPED, notNow);
                    return;
                }
                SyncSettings settings = pool.settings();
                pace(began, bytesRead.get(), settings.rateMibPerSecond());
                long end = Math.min(to, cursor + settings.queueDepth() - 1);
                Batch batch = verifyBatch(parallel, cursor, end);
                if (marking && !batch.differing().isEmpty()) {
                    pool.markOwnDirty(batch.differing().stream().mapToLong(Long::longValue).toArray());
                }
                if (batch.failure() != null) {
                    throw batch.failure();
                }
                cursor = end + 1;
            }
            finish(stopRequested ? VerifyProgress.State.STOPPED : VerifyProgress.State.DONE,
                    stopRequested ? stopReason : null);
        } catch (VerifyFailure | PoolException | RuntimeException e) {
            finish(VerifyProgress.State.STOPPED, e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    /** The differing chunks of a batch, and the first failure that cut it short (null if none). */
    private record Batch(List<Long> differing, VerifyFailure failure) {
    }

    /** Checks chunks {@code from..to} in parallel and counts them in chunk order. */
    private Batch verifyBatch(ExecutorService parallel, long from, long to) throws VerifyFailure {
        List<Future<Outcome>> checks = new ArrayList<>();
        for (long chunk = from; chunk <= to; chunk++) {
            long c = chunk;
            checks.add(parallel.submit(() -> check(c)));
        }
        List<Outcome> outcomes = new ArrayList<>();
        VerifyFailure failure = null;
        for (Future<Outcome> check : checks) {
            try {
                outcomes.add(check.get());
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                failure = failure != null ? failure : cause instanceof VerifyFailure f ? f
                        : new VerifyFailure(cause.toString());
                outcomes.add(Outcome.UNDECIDED);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VerifyFailure("interrupted");
            }
        }
        List<Long> found = new ArrayList<>();
        synchronized (this) {
            for (int i = 0; i < outcomes.size(); i++) {
                switch (outcomes.get(i)) {
                    case SAME -> compared++;
                    case DIFFER -> {
                        compared++;
                        differing.add(from + i);
                        found.add(from + i);
                    }
                    case SKIPPED -> skipped++;
                    case UNDECIDED -> { }
                }
            }
        }
        return new Batch(found, failure);
    }

    /** One chunk: the same on every reachable peer, differing even after the re-checks, or skipped. */
    private Outcome check(long chunk) throws VerifyFailure {
        Duration pause = firstRecheckPause;
        for (int attempt = 0; ; attempt++) {
            if (pool.isDirtyHere(chunk)) {
                return Outcome.SKIPPED;
            }
            int local;
            try {
                local = pool.localChecksum(chunk);
            } catch (RequestException e) {
                if (e.status() == Message.Status.DIRTY) {
                    return Outcome.SKIPPED;
                }
                throw new VerifyFailure("chunk " + chunk + " could not be read here: " + e.getMessage());
            }
            bytesRead.addAndGet(pool.chunkSize());
            List<PeerChecksum> answers = pool.peerChecksums(chunk);
            if (answers.stream().anyMatch(a -> a.answer() == PeerChecksum.Answer.DIRTY)) {
                return Outcome.SKIPPED;
            }
            List<PeerChecksum> reachable = answers.stream().filter(a -> a.answer() == PeerChecksum.Answer.CHECKSUM)
                    .toList();
            if (reachable.isEmpty()) {
                throw new VerifyFailure("no peer could be asked for the checksum of chunk " + chunk + ": "
                        + (answers.isEmpty() ? "no sync session to a peer is attached to this pool"
                                : answers.stream().map(a -> a.peer() + ": " + a.detail())
                                        .collect(Collectors.joining("; "))));
            }
            if (reachable.stream().allMatch(a -> a.crc32c() == local)) {
                return Outcome.SAME;
            }
            if (attempt == rechecks) {
                Logger.warn("pool {}: chunk {} differs: CRC32C here {}, {}", pool.name(), chunk, hex(local),
                        reachable.stream().map(a -> a.peer() + " " + hex(a.crc32c()))
                                .collect(Collectors.joining(", ")));
                return Outcome.DIFFER;
            }
            if (!pauseUntil(System.nanoTime() + pause.toNanos())) {
                return Outcome.UNDECIDED;
            }
            pause = pause.multipliedBy(2);
        }
    }

    private static String hex(int crc) {
        return String.format("%08x", crc);
    }

    /** Sleeps as long as needed to keep to {@code rate} MiB/s (0: no bound). */
    private void pace(long startedNanos, long bytesSoFar, int rate) {
        if (rate > 0) {
            pauseUntil(startedNanos + (long) (bytesSoFar / (rate * 1048576.0) * 1e9));
        }
    }

    /** Waits until {@code deadline} (System.nanoTime); false when a stop cut the wait short. */
    private boolean pauseUntil(long deadline) {
        synchronized (pauseLock) {
            while (!stopRequested) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return true;
                }
                try {
                    pauseLock.wait(left / 1_000_000, (int) (left % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return false;
        }
    }

    private void finish(VerifyProgress.State end, String why) {
        VerifyProgress result;
        synchronized (this) {
            endNanos = System.nanoTime();
            reason = why;
            state = end;
            result = progress();
        }
        if (end == VerifyProgress.State.DONE && result.differing().isEmpty()) {
            Logger.info("pool {}: verify {}", pool.name(), result.describe());
        } else {
            Logger.warn("pool {}: verify {}", pool.name(), result.describe());
        }
    }

    /** A chunk that could not be verified: the verify stops with this reason. */
    private static final class VerifyFailure extends Exception {
        VerifyFailure(String message) {
            super(message);
        }
    }
}
