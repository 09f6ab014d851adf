package brmr.device;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One buffer taken from {@link IoBuffers}: {@link #segment()} is valid until {@link #close()}, which
 * gives it back for reuse. Close it exactly when nothing reads or writes the segment any more
 * (closing twice is harmless; using the segment after close corrupts another request's data).
 */
public final class IoBuffer implements AutoCloseable {
    private final IoBuffers pool;
    private final MemorySegment whole;
    private final MemorySegment segment;
    /** The size class it goes back to, or -1 for a buffer the pool does not keep. */
    private final int sizeClass;
    private final AtomicBoolean closed = new AtomicBoolean();

    IoBuffer(IoBuffers pool, MemorySegment whole, int length, int sizeClass) {
        this.pool = pool;
        this.whole = whole;
        this.segment = whole.asSlice(0, length);
        this.sizeClass = sizeClass;
    }

    /** The buffer's bytes: native, aligned to {@link Disk#BUFFER_ALIGNMENT}, exactly the length asked for. */
    public MemorySegment segment() {
        return segment;
    }

    public int length() {
        return (int) segment.byteSize();
    }

    @Override
    public void close() {
        // a second give-back would hand one buffer to two requests
        if (closed.compareAndSet(false, true)) {
            pool.giveBack(whole, sizeClass);
        }
    }
}
