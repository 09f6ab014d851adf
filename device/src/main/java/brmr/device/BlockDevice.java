package brmr.device;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A block device or regular file opened through libc. Opened for writing it is exclusive: O_EXCL
 * on block devices (refused while mounted or held by another opener) plus an advisory lock that
 * every brmr process takes, so a disk in use elsewhere is refused.
 */
public final class BlockDevice implements Disk {
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;

    /** How to open: read-only (to examine a disk, even one in use) or read-write and exclusive. */
    public enum Access { READ_ONLY, EXCLUSIVE }

    /** Whether to bypass the page cache; AUTO does so on block devices only. */
    public enum DirectIo { OFF, ON, AUTO }

    private final String path;
    private final boolean blockDevice;
    private final boolean directIo;
    private final long size;
    private final int sectorSize;
    private final long pageSize;
    private volatile int fd;
    /** The open window, or null; written under this, read without it by every IO to refuse the mapped pages. */
    private volatile MappedWindow window;

    private BlockDevice(String path, int fd, boolean blockDevice, boolean directIo, long size, int sectorSize,
            long pageSize) {
        this.path = path;
        this.fd = fd;
        this.blockDevice = blockDevice;
        this.directIo = directIo;
        this.size = size;
        this.sectorSize = sectorSize;
        this.pageSize = pageSize;
    }

    public static BlockDevice open(Path path, Access access, DirectIo directIo) throws DeviceException {
        String name = path.toString();
        boolean block = checkKind(path);
        boolean direct = directIo == DirectIo.ON || (directIo == DirectIo.AUTO && block);
        int flags = access == Access.READ_ONLY ? NativeIo.O_RDONLY : NativeIo.O_RDWR;
        if (access == Access.EXCLUSIVE && block) {
            flags |= NativeIo.O_EXCL;
        }
        int fd = openReportingUse(name, direct ? flags | NativeIo.O_DIRECT : flags);
        try {
            if (access == Access.EXCLUSIVE) {
                // a read-only block device may still open read-write; its writes then fail one by one
                if (block && NativeIo.isReadOnly(fd, name)) {
                    throw new DeviceException("open", name, NativeIo.EROFS, NativeIo.strerror(NativeIo.EROFS));
                }
                lock(fd, name);
            }
            long size = block ? NativeIo.blockDeviceSize(fd, name) : NativeIo.fileSize(fd, name);
            int sectorSize = block ? NativeIo.logicalSectorSize(fd, name) : 512;
            return new BlockDevice(name, fd, block, direct, size, sectorSize, NativeIo.pageSize());
        } catch (DeviceException e) {
            NativeIo.close(fd, name);
            throw e;
        }
    }

    /** Returns whether {@code path} is a block device; refuses anything that is neither that nor a regular file. */
    private static boolean checkKind(Path path) throws DeviceException {
        int mode;
        try {
            mode = (int) Files.getAttribute(path, "unix:mode");
        } catch (NoSuchFileException e) {
            throw new DeviceException("stat", path.toString(), "does not exist");
        } catch (IOException e) {
            throw new DeviceException("stat", path.toString(), "cannot be read (" + e.getMessage() + ")");
        }
        return switch (mode & S_IFMT) {
            case S_IFBLK -> true;
            case S_IFREG -> false;
            case S_IFDIR -> throw new DeviceException("stat", path.toString(),
                    "is a directory, not a block device or regular file");
            default -> throw new DeviceException("stat", path.toString(), "is not a block device or regular file");
        };
    }

    private static int openReportingUse(String name, int flags) throws DeviceException {
        try {
            return NativeIo.open(name, flags);
        } catch (DeviceException e) {
            if (e.errno() == 16) {
                throw new DeviceException("open", name, e.errno(),
                        "already in use (mounted or held open exclusively by another program)");
            }
            throw e;
        }
    }

    private static void lock(int fd, String name) throws DeviceException {
        try {
            NativeIo.lockExclusive(fd, name);
        } catch (DeviceException e) {
            if (e.errno() == NativeIo.EWOULDBLOCK) {
                throw new DeviceException("flock", name, e.errno(), "already in use by another brmr store");
            }
            throw e;
        }
    }

    @Override
    public String name() {
        return path;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int sectorSize() {
        return sectorSize;
    }

    @Override
    public boolean directIo() {
        return directIo;
    }

    @Override
    public boolean isBlockDevice() {
        return blockDevice;
    }

    @Override
    public void read(long offset, MemorySegment dst) throws DeviceException {
        transfer("pread", offset, dst, NativeIo::preadFully);
    }

    @Override
    public void write(long offset, MemorySegment src) throws DeviceException {
        transfer("pwrite", offset, src, NativeIo::pwriteFully);
    }

    @Override
    public void writeDurably(long offset, MemorySegment src) throws DeviceException {
        transfer("pwritev2", offset, src, NativeIo::pwriteDurably);
    }

    /** One of NativeIo's whole-buffer transfers. */
    @FunctionalInterface
    private interface Transfer {
        void run(int fd, String path, MemorySegment buffer, long offset) throws DeviceException;
    }

    /** Checks the range (and alignment for direct IO), runs {@code transfer}, and names the range in a failure. */
    private void transfer(String call, long offset, MemorySegment buffer, Transfer transfer) throws DeviceException {
        try {
            checkRange(call, offset, buffer);
            transfer.run(fd(), path, buffer, offset);
        } catch (DeviceException e) {
            throw e.at(offset, buffer.byteSize());
        }
    }

    /**
     * fallocate(PUNCH_HOLE) on both kinds: on a block device the kernel turns it into an unmap that is
     * guaranteed to read back as zeroes (BLKDISCARD leaves the contents unspecified, so replicas could differ).
     */
    @Override
    public boolean discard(long offset, long length) throws DeviceException {
        try {
            checkRange("fallocate(PUNCH_HOLE)", offset, length);
            if (blockDevice && (offset % sectorSize != 0 || length % sectorSize != 0)) {
                throw new DeviceException("fallocate(PUNCH_HOLE)", path, NativeIo.EINVAL, "range " + offset + "+"
                        + length + " is not aligned to " + sectorSize + "-byte sectors");
            }
            return NativeIo.punchHole(fd(), path, offset, length);
        } catch (DeviceException e) {
            throw e.at(offset, length);
        }
    }

    @Override
    public long mapAlignment() {
        return pageSize;
    }

    /** mmap MAP_SHARED: writes go through the page cache whether or not the disk was opened O_DIRECT. */
    @Override
    public synchronized DiskWindow mapWindow(long offset, long length) throws DeviceException {
        try {
            checkRange("mmap", offset, length);
            if (length == 0 || offset % pageSize != 0) {
                throw new DeviceException("mmap", path, NativeIo.EINVAL, "a window needs a non-empty range at a"
                        + " multiple of the " + pageSize + "-byte page size, got " + offset + "+" + length);
            }
            MappedWindow open = window;
            if (open != null) {
                throw new DeviceException("mmap", path, NativeIo.EINVAL, "a window is already mapped at "
                        + open.offset() + "; close it first");
            }
            MappedWindow mapped = MappedWindow.map(fd(), path, offset, length, pageSize, this::windowClosed);
            window = mapped;
            return mapped;
        } catch (DeviceException e) {
            throw e.at(offset, length);
        }
    }

    private synchronized void windowClosed() {
        window = null;
    }

    @Override
    public void flush() throws DeviceException {
        NativeIo.fdatasync(fd(), path);
    }

    /** Unmaps a window left open, then closes the descriptor. */
    @Override
    public void close() throws DeviceException {
        MappedWindow open = window;
        try {
            if (open != null) {
                open.close();
            }
        } finally {
            synchronized (this) {
                if (fd >= 0) {
                    int closing = fd;
                    fd = -1;
                    NativeIo.close(closing, path);
                }
            }
        }
    }

    private int fd() throws DeviceException {
        if (fd < 0) {
            throw new DeviceException("io", path, "device is closed");
        }
        return fd;
    }

    private void checkRange(String call, long offset, long length) throws DeviceException {
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new DeviceException(call, path, NativeIo.EINVAL,
                    "range " + offset + "+" + length + " lies outside the device of " + size + " bytes");
        }
        MappedWindow open = window;
        if (open != null && offset < open.end() && open.offset() < offset + length) {
            throw new DeviceException(call, path, NativeIo.EINVAL, "range " + offset + "+" + length
                    + " overlaps the window mapped at " + open.offset() + ".." + open.end());
        }
    }

    private void checkRange(String call, long offset, MemorySegment buffer) throws DeviceException {
        long length = buffer.byteSize();
        checkRange(call, offset, length);
        if (directIo && (offset % sectorSize != 0 || length % sectorSize != 0
                || buffer.address() % BUFFER_ALIGNMENT != 0 || !buffer.isNative())) {
            throw new DeviceException(call, path, NativeIo.EINVAL, "direct IO needs " + sectorSize
                    + "-byte aligned offset and length and an aligned native buffer");
        }
    }
}
