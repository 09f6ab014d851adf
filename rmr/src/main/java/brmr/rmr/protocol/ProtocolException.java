package brmr.rmr.protocol;

/**
 * The peer sent bytes that are not a valid RMR frame; the connection has to be closed because
 * the position of the next frame is unknown. The message is one line naming what was wrong.
 */
public final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String reason) {
        super(reason);
    }
}
