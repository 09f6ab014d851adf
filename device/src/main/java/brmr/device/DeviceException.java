package brmr.device;

import java.io.IOException;

/** A failed operation on a device: names the call, the path and, for native calls, the errno text. */
public final class DeviceException extends IOException {
    private final String call;
    private final String path;
    private final int errno;

    DeviceException(String call, String path, int errno, String reason) {
        super(call + " " + path + ": " + reason);
        this.call = call;
        this.path = path;
        this.errno = errno;
    }

    public DeviceException(String call, String path, String reason) {
        this(call, path, 0, reason);
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

    /** The reason alone, without the call and the path. */
    public String reason() {
        String message = getMessage();
        return message.substring(call.length() + 1 + path.length() + 2);
    }
}
