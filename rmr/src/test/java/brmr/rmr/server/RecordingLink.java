package brmr.rmr.server;

/** A compute session handle for tests; records being closed. */
final class RecordingLink implements SessionLink {
    private final String name;
    volatile boolean closed;

    RecordingLink(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void close() {
        closed = true;
    }
}
