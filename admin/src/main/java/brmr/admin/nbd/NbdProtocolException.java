package brmr.admin.nbd;

import java.io.IOException;

/** The peer broke the NBD protocol badly enough that the connection has to be closed. */
final class NbdProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    NbdProtocolException(String message) {
        super(message);
    }
}
