package brmr.device;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The only place that calls native code: libc method handles, errno capture, and the Linux
 * constants they need. Every failure becomes a {@link DeviceException} naming the call and the path.
 */
final class NativeIo {
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_EXCL = 0200;
    static final int O_CLOEXEC = 02000000;
    /** O_DIRECT differs between architectures. */
    static final int O_DIRECT = System.getProperty("os.arch").equals("aarch64") ? 0200000 : 040000;

    private static final int EINTR = 4;
    private static final int ENOSYS = 38;
    private static final int EOPNOTSUPP = 95;
    /** linux/fs.h: per-write O_DSYNC for pwritev2 (Linux 4.7). */
    private static final int RWF_DSYNC = 0x2;
    static final int EINVAL = 22;
    static final int EWOULDBLOCK = 11;
    private static final int SEEK_END = 2;
    private static final int LOCK_EX = 2;
    private static final int LOCK_NB = 4;
    private static final long BLKSSZGET = 0x1268;
    private static final long BLKGETSIZE64 = 0x80081272L;
    private static final long BLKROGET = 0x125E;
    static final int EROFS = 30;
    /** linux/falloc.h: free the range's blocks, keep the file size; on a block device the kernel zeroes the range without writing (Linux 4.9). */
    private static final int FALLOC_FL_KEEP_SIZE = 0x01;
    private static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    /** asm-generic/mman-common.h (the same on x86_64 and aarch64). */
    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MS_SYNC = 4;
    /** linux/mman.h. */
    private static final int MAP_SHARED = 0x01;
    /** bits/confname.h (glibc). */
    private static final int SC_PAGESIZE = 30;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final MethodHandle OPEN = handle("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle PREAD = handle("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITE = handle("pwrite",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle PWRITEV2 = handle("pwritev2",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_INT));
    /** struct iovec: void *iov_base; size_t iov_len. */
    private static final StructLayout IOVEC = MemoryLayout.structLayout(ADDRESS.withName("iov_base"),
            JAVA_LONG.withName("iov_len"));
    /** A call's scratch memory: the errno capture area, then an iovec; one cache line, so slots share none. */
    private static final long SLOT_BYTES = 64;
    private static final long IOVEC_OFFSET = 32;
    /** Slots for calls in flight at once; a call finding none free gets a confined arena (rare: carriers are few). */
    private static final int SLOTS = 64;
    private static final MemorySegment SCRATCH = Arena.global().allocate(SLOT_BYTES * SLOTS, SLOT_BYTES);
    /** Per slot, 1 while a call uses it; lock-free, taken and given back by compare-and-set. */
    private static final AtomicIntegerArray SLOT_BUSY = new AtomicIntegerArray(SLOTS);
    private static final MethodHandle FDATASYNC = handle("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle LSEEK = handle("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FLOCK = handle("flock", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle FALLOCATE = handle("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle MMAP = handle("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MSYNC = handle("msync", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MUNMAP = handle("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle SYSCONF = handle("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
    private static final MethodHandle IOCTL = handle("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private NativeIo() {
    }

    private static MethodHandle handle(String name, FunctionDescriptor descriptor, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** One native call given the errno capture segment; returns a negative value on failure. */
    @FunctionalInterface
    private interface Call {
        long invoke(MemorySegment callState) throws Throwable;
    }

    /** A native call that also needs one iovec of scratch memory. */
    @FunctionalInterface
    private interface VectorCall {
        long invoke(MemorySegment callState, MemorySegment iovec) throws Throwable;
    }

    /** Runs {@code call}, retrying on EINTR when {@code restartable}, and turns a failure into a DeviceException. */
    private static long call(String name, String path, boolean restartable, Call call) throws DeviceException {
        return call(name, path, restartable, (VectorCall) (state, iovec) -> call.invoke(state));
    }

    /** As {@link #call(String, String, boolean, Call)}; the scratch memory comes from a reused slot, not an arena per call. */
    private static long call(String name, String path, boolean restartable, VectorCall call) throws DeviceException {
        int slot = takeSlot();
        try (Arena overflow = slot < 0 ? Arena.ofConfined() : null) {
            MemorySegment scratch = slot < 0 ? overflow.allocate(SLOT_BYTES, SLOT_BYTES)
                    : SCRATCH.asSlice(slot * SLOT_BYTES, SLOT_BYTES);
            MemorySegment state = scratch.asSlice(0, CALL_STATE.byteSize());
            MemorySegment iovec = scratch.asSlice(IOVEC_OFFSET, IOVEC.byteSize());
            while (true) {
                long result = call.invoke(state, iovec);
                if (result >= 0) {
                    return result;
                }
                int errno = errno(state);
                if (errno != EINTR || !restartable) {
                    throw failure(name, path, errno);
                }
            }
        } catch (DeviceException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(name, path, t);
        } finally {
            if (slot >= 0) {
                SLOT_BUSY.set(slot, 0);
            }
        }
    }

    /** A free scratch slot, probing from one the thread id picks; -1 when every slot is busy. */
    private static int takeSlot() {
        int start = (int) (Thread.currentThread().threadId() % SLOTS);
        for (int i = 0; i < SLOTS; i++) {
            int slot = (start + i) % SLOTS;
            if (SLOT_BUSY.get(slot) == 0 && SLOT_BUSY.compareAndSet(slot, 0, 1)) {
                return slot;
            }
        }
        return -1;
    }

    static int open(String path, int flags) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cPath = arena.allocateFrom(path);
            return (int) call("open", path, true, state -> (int) OPEN.invokeExact(state, cPath, flags | O_CLOEXEC, 0));
        }
    }

    /** Not retried on EINTR: Linux has released the descriptor whatever close returned. */
    static void close(int fd, String path) throws DeviceException {
        call("close", path, false, state -> (int) CLOSE.invokeExact(state, fd));
    }

    /** Reads until {@code buffer} is full; a short read at end of device is an error. */
    static void preadFully(int fd, String path, MemorySegment buffer, long offset) throws DeviceException {
        fully("pread", path, buffer, offset,
                (state, iovec, rest, at) -> (long) PREAD.invokeExact(state, fd, rest, rest.byteSize(), at));
    }

    static void pwriteFully(int fd, String path, MemorySegment buffer, long offset) throws DeviceException {
        fully("pwrite", path, buffer, offset,
                (state, iovec, rest, at) -> (long) PWRITE.invokeExact(state, fd, rest, rest.byteSize(), at));
    }

    /**
     * Writes {@code buffer} with pwritev2(RWF_DSYNC): durable when it returns, and unlike fdatasync it
     * does not wait for the other dirty pages of the file. A kernel without RWF_DSYNC gets pwrite and
     * fdatasync.
     */
    static void pwriteDurably(int fd, String path, MemorySegment buffer, long offset) throws DeviceException {
        try {
            fully("pwritev2", path, buffer, offset, (state, iovec, rest, at) -> {
                iovec.set(ADDRESS, 0, rest);
                iovec.set(JAVA_LONG, ADDRESS.byteSize(), rest.byteSize());
                return (long) PWRITEV2.invokeExact(state, fd, iovec, 1, at, RWF_DSYNC);
            });
        } catch (DeviceException e) {
            if (e.errno() != ENOSYS && e.errno() != EOPNOTSUPP) {
                throw e;
            }
            // rewriting what pwritev2 may already have written is harmless
            pwriteFully(fd, path, buffer, offset);
            fdatasync(fd, path);
        }
    }

    /** One pread/pwrite-like call on the part of a buffer not yet transferred; returns the bytes moved. */
    @FunctionalInterface
    private interface Transfer {
        long invoke(MemorySegment callState, MemorySegment iovec, MemorySegment rest, long at) throws Throwable;
    }

    /** Repeats {@code transfer} until the whole buffer has moved; a transfer of 0 bytes is the end of the device. */
    private static void fully(String name, String path, MemorySegment buffer, long offset, Transfer transfer)
            throws DeviceException {
        long done = 0;
        while (done < buffer.byteSize()) {
            MemorySegment rest = buffer.asSlice(done);
            long at = offset + done;
            long n = call(name, path, true, (VectorCall) (state, iovec) -> transfer.invoke(state, iovec, rest, at));
            if (n == 0) {
                throw new DeviceException(name, path, "end of device at byte " + at);
            }
            done += n;
        }
    }

    static void fdatasync(int fd, String path) throws DeviceException {
        call("fdatasync", path, true, state -> (int) FDATASYNC.invokeExact(state, fd));
    }

    static long fileSize(int fd, String path) throws DeviceException {
        return call("lseek", path, false, state -> (long) LSEEK.invokeExact(state, fd, 0L, SEEK_END));
    }

    /**
     * Deallocates {@code length} bytes at {@code offset} so that they read as zeroes; returns false,
     * having changed nothing, when the filesystem or device cannot (EOPNOTSUPP).
     */
    static boolean punchHole(int fd, String path, long offset, long length) throws DeviceException {
        try {
            call("fallocate(PUNCH_HOLE)", path, true, state -> (int) FALLOCATE.invokeExact(state, fd,
                    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length));
            return true;
        } catch (DeviceException e) {
            if (e.errno() == EOPNOTSUPP) {
                return false;
            }
            throw e;
        }
    }

    /** The size of a memory page, the unit of mmap offsets and msync ranges. */
    static long pageSize() throws DeviceException {
        return call("sysconf(_SC_PAGESIZE)", "", false, state -> (long) SYSCONF.invokeExact(state, SC_PAGESIZE));
    }

    /**
     * Maps {@code length} bytes of {@code fd} at {@code offset} (both multiples of the page size) shared
     * and writable; the segment stays valid until {@link #munmap}. MAP_FAILED is -1, which {@link #call}
     * sees as a failure.
     */
    static MemorySegment mmapShared(int fd, String path, long offset, long length) throws DeviceException {
        long address = call("mmap", path, false, state -> ((MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL,
                length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset)).address());
        return MemorySegment.ofAddress(address).reinterpret(length);
    }

    /** The first {@code length} bytes of {@code mapping}, accessible only while {@code scope} is open. */
    static MemorySegment scoped(MemorySegment mapping, long length, Arena scope) {
        return mapping.reinterpret(length, scope, null);
    }

    /** Writes the dirty pages of {@code pages} (page aligned) back and waits until they are durable. */
    static void msync(String path, MemorySegment pages) throws DeviceException {
        call("msync", path, true, state -> (int) MSYNC.invokeExact(state, pages, pages.byteSize(), MS_SYNC));
    }

    static void munmap(String path, MemorySegment mapping) throws DeviceException {
        call("munmap", path, false, state -> (int) MUNMAP.invokeExact(state, mapping, mapping.byteSize()));
    }

    /** Takes an exclusive advisory lock without waiting; fails with EWOULDBLOCK when another holder has it. */
    static void lockExclusive(int fd, String path) throws DeviceException {
        call("flock", path, true, state -> (int) FLOCK.invokeExact(state, fd, LOCK_EX | LOCK_NB));
    }

    static long blockDeviceSize(int fd, String path) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(JAVA_LONG);
            ioctl(fd, path, BLKGETSIZE64, size, "ioctl(BLKGETSIZE64)");
            return size.get(JAVA_LONG, 0);
        }
    }

    static int logicalSectorSize(int fd, String path) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment size = arena.allocate(JAVA_INT);
            ioctl(fd, path, BLKSSZGET, size, "ioctl(BLKSSZGET)");
            return size.get(JAVA_INT, 0);
        }
    }

    static boolean isReadOnly(int fd, String path) throws DeviceException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment flag = arena.allocate(JAVA_INT);
            ioctl(fd, path, BLKROGET, flag, "ioctl(BLKROGET)");
            return flag.get(JAVA_INT, 0) != 0;
        }
    }

    private static void ioctl(int fd, String path, long request, MemorySegment arg, String name)
            throws DeviceException {
        call(name, path, true, state -> (int) IOCTL.invokeExact(state, fd, request, arg));
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static DeviceException failure(String call, String path, int errno) {
        return new DeviceException(call, path, errno, strerror(errno));
    }

    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static DeviceException unexpected(String call, String path, Throwable t) {
        if (t instanceof Error error) {
            throw error;
        }
        if (t instanceof RuntimeException runtime) {
            throw runtime;
        }
        return new DeviceException(call, path, t.toString());
    }
}
