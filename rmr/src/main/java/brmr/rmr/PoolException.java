package brmr.rmr;

/** A refused or failed pool operation (server, client or sync side); one line naming the field and the reason. */
public final class PoolException extends Exception {
    private final String field;
    private final String reason;

    public PoolException(String field, String reason) {
        super(field + ": " + reason);
        this.field = field;
        this.reason = reason;
    }

    public PoolException(String field, String reason, Throwable cause) {
        super(field + ": " + reason, cause);
        this.field = field;
        this.reason = reason;
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
