package brmr.device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A bounded pool of native buffers for data IO, aligned for O_DIRECT ({@link Disk#BUFFER_ALIGNMENT}),
 * reused across requests so that an IO neither opens an Arena nor allocates and zeroes memory.
 *
 * <p>Buffers come in power-of-two size classes from {@link #MIN_CLASS_BYTES} up; {@link #take}
 * hands out the smallest class that fits, sliced to the length asked for. The pool keeps at most
 * {@code retainedBytes} of buffers for reuse (allocated once, from the global arena, never freed),
 * at most a quarter of that per class so that one size cannot take the pool from the others, and
 * none above {@link #MAX_RETAINED_CLASS_BYTES} (rare large requests would pin their size for good).
 * Beyond that, buffers are allocated per use from an automatic arena and left to the garbage
 * collector, so the pool never blocks and never holds more than its bound. What bounds the memory
 * in use is the caller's admission (the transports' in-flight budgets).
 *
 * <p>A buffer's contents are whatever its previous user left: a reader fills it completely or fails.
 * Thread-safe; the free lists are lock-free.
 */
public final class IoBuffers {
    /** The smallest size class: one page. */
    public static final int MIN_CLASS_BYTES = 4096;
    /** Kept for reuse by {@link #shared()}: enough for the in-flight data of a busy node. */
    public static final long SHARED_RETAINED_BYTES = 128L << 20;
    /** The largest size class the pool keeps for reuse. */
    public static final int MAX_RETAINED_CLASS_BYTES = 4 << 20;

    private static final IoBuffers SHARED = new IoBuffers(SHARED_RETAINED_BYTES);
    private static final int MIN_CLASS = Integer.numberOfTrailingZeros(MIN_CLASS_BYTES);

    private final long retainedBytes;
    /** Bytes allocated for reuse so far; only grows, up to {@link #retainedBytes}. */
    private final AtomicLong retained = new AtomicLong();
    /** The same per size class (index = log2 of the class size), each up to a quarter of {@link #retainedBytes}. */
    private final AtomicLongArray retainedPerClass = new AtomicLongArray(32);
    /** Idle reusable buffers of each size class (index = log2 of the class size). */
    @SuppressWarnings("unchecked")
    private final ConcurrentLinkedDeque<MemorySegment>[] idle = new ConcurrentLinkedDeque[32];

    /** @param retainedBytes how many bytes of buffers the pool keeps for reuse */
    public IoBuffers(long retainedBytes) {
        if (retainedBytes < 0) {
            throw new IllegalArgumentException("retainedBytes must not be negative, got " + retainedBytes);
        }
        this.retainedBytes = retainedBytes;
        for (int i = 0; i < idle.length; i++) {
            idle[i] = new ConcurrentLinkedDeque<>();
        }
    }

    /** The pool every data path of this process shares. */
    public static IoBuffers shared() {
        return SHARED;
    }

    /**
     * A buffer of exactly {@code length} bytes (0 to 1 GiB); {@link IoBuffer#close()} gives it back.
     * Its contents are undefined.
     */
    public IoBuffer take(int length) {
        if (length < 0 || length > 1 << 30) {
            throw new IllegalArgumentException("buffer length must be 0 to 1 GiB, got " + length);
        }
        int sizeClass = sizeClass(length);
        if (1L << sizeClass > MAX_RETAINED_CLASS_BYTES) {
            // never kept, so no class rounding: a large request costs what it asks for
            return new IoBuffer(this, Arena.ofAuto().allocate(Math.max(length, 1), Disk.BUFFER_ALIGNMENT), length, -1);
        }
        MemorySegment whole = idle[sizeClass].pollFirst();
        boolean reusable = true;
        if (whole == null) {
            long bytes = 1L << sizeClass;
            if (reserve(sizeClass, bytes)) {
                whole = Arena.global().allocate(bytes, Disk.BUFFER_ALIGNMENT);
            } else {
                whole = Arena.ofAuto().allocate(bytes, Disk.BUFFER_ALIGNMENT);
                reusable = false;
            }
        }
        return new IoBuffer(this, whole, length, reusable ? sizeClass : -1);
    }

    /** Bytes this pool has allocated for reuse (idle or in use). */
    public long retainedBytes() {
        return retained.get();
    }

    /** Idle buffers kept for reuse, over all classes. */
    public int idleBuffers() {
        int count = 0;
        for (ConcurrentLinkedDeque<MemorySegment> list : idle) {
            count += list.size();
        }
        return count;
    }

    /** Called once per buffer by {@link IoBuffer#close()}. */
    void giveBack(MemorySegment whole, int sizeClass) {
        if (sizeClass >= 0) {
            // LIFO: the buffer used last is the one most likely still in the CPU cache
            idle[sizeClass].offerFirst(whole);
        }
    }

    private boolean reserve(int sizeClass, long bytes) {
        long classLimit = retainedBytes / 4;
        if (bytes > MAX_RETAINED_CLASS_BYTES
                || retainedPerClass.getAndUpdate(sizeClass, now -> now + bytes > classLimit ? now : now + bytes)
                        + bytes > classLimit) {
            return false;
        }
        if (retained.getAndUpdate(now -> now + bytes > retainedBytes ? now : now + bytes) + bytes > retainedBytes) {
            retainedPerClass.addAndGet(sizeClass, -bytes);
            return false;
        }
        return true;
    }

    /** log2 of the smallest class of at least {@code length} bytes. */
    static int sizeClass(int length) {
        if (length <= MIN_CLASS_BYTES) {
            return MIN_CLASS;
        }
        return 32 - Integer.numberOfLeadingZeros(length - 1);
    }
}
