package brmr.device;

import java.io.IOException;
import java.util.Map;

/**
 * A failed operation on a device: names the call, the path and, for native calls, the errno text;
 * a failed read or write also carries the byte range it asked for.
 */
public final class DeviceException extends IOException {
    /** Names of the errno values a disk IO can end with (the same numbers on every Linux architecture). */
    private static final Map<Integer, String> ERRNO_NAMES = Map.ofEntries(Map.entry(1, "EPERM"),
            Map.entry(2, "ENOENT"), Map.entry(5, "EIO"), Map.entry(6, "ENXIO"), Map.entry(9, "EBADF"),
            Map.entry(11, "EAGAIN"), Map.entry(12, "ENOMEM"), Map.entry(13, "EACCES"), Map.entry(16, "EBUSY"),
            Map.entry(19, "ENODEV"), Map.entry(22, "EINVAL"), Map.entry(27, "EFBIG"), Map.entry(28, "ENOSPC"),
            Map.entry(30, "EROFS"), Map.entry(61, "ENODATA"), Map.entry(95, "EOPNOTSUPP"),
            Map.entry(110, "ETIMEDOUT"), Map.entry(121, "EREMOTEIO"), Map.entry(122, "EDQUOT"),
            Map.entry(125, "ECANCELED"));

    private final String call;
    private final String path;
    private final int errno;
    private final long offset;
    private final long length;

    private DeviceException(String call, String path, int errno, String reason, long offset, long length) {
        super(call + " " + path + ": " + reason);
        this.call = call;
        this.path = path;
        this.errno = errno;
        this.offset = offset;
        this.length = length;
    }

    DeviceException(String call, String path, int errno, String reason) {
        this(call, path, errno, reason, -1, -1);
    }

    public DeviceException(String call, String path, String reason) {
        this(call, path, 0, reason);
    }

    /** The same failure, naming the byte range of the read or write that failed. */
    DeviceException at(long rangeOffset, long rangeLength) {
        DeviceException ranged = new DeviceException(call, path, errno, reason(), rangeOffset, rangeLength);
        ranged.setStackTrace(getStackTrace());
        return ranged;
    }

    public String call() {
        return call;
    }

    public String path() {
        return path;
    }

    /** The errno of the failed native call, or 0 when the failure was found by a check in Java. */
    public int errno() {
        return errno;
    }

    /** The symbolic errno (EIO, ENOSPC, ...), "errno N" for one without a name here, null when there is none. */
    public String errnoName() {
        return errno == 0 ? null : ERRNO_NAMES.getOrDefault(errno, "errno " + errno);
    }

    /** Device byte offset of the failed read or write, -1 for calls without a range. */
    public long offset() {
        return offset;
    }

    /** Bytes of the failed read or write, -1 for calls without a range. */
    public long length() {
        return length;
    }

    /** The reason alone, without the call and the path. */
    public String reason() {
        String message = getMessage();
        return message.substring(call.length() + 1 + path.length() + 2);
    }

    /** For an operator: call, device, range and errno, e.g. {@code pwrite /dev/sdb offset 4096 length 512: EIO (Input/output error)}. */
    public String describe() {
        String range = offset < 0 ? "" : " offset " + offset + " length " + length;
        String why = errno == 0 ? reason() : errnoName() + " (" + reason() + ")";
        return call + " " + path + range + ": " + why;
    }
}
