package brmr.rmr.client;

/** A refused compute-client command: one line naming the field (or leg) and the reason. */
public final class ClientException extends Exception {
    private final String field;
    private final String reason;

    public ClientException(String field, String reason) {
        super(field + ": " + reason);
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
