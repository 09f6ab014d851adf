package brmr.rmr.net;

import java.io.IOException;

/** A session's authentication failed: the peer holds another secret, none, or broke off the handshake. */
public final class AuthenticationException extends IOException {
    public AuthenticationException(String message) {
        super(message);
    }
}
