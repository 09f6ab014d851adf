package brmr.rmr.server;

import brmr.rmr.protocol.Message;

/** A session request the pool refuses or fails; travels back to the peer as a {@link Message.Failure}. */
public final class RequestException extends Exception {
    private final Message.Status status;

    public RequestException(Message.Status status, String message) {
        super(message);
        this.status = status;
    }

    public RequestException(Message.Status status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public Message.Status status() {
        return status;
    }

    public Message.Failure toFailure() {
        return new Message.Failure(status, getMessage());
    }
}
