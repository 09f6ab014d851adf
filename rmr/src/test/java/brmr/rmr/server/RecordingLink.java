package brmr.rmr.server;

import brmr.rmr.protocol.Message;

/** A compute session handle for tests; records being closed. */
final class RecordingLink implements SessionLink {
    private final String name;
    private final Message.Writer writer;
    volatile boolean closed;

    RecordingLink(String name) {
        this(name, null);
    }

    /** A session of the client {@code writer} names. */
    RecordingLink(String name, Message.Writer writer) {
        this.name = name;
        this.writer = writer;
    }

    @Override
    public Message.Writer writer() {
        return writer;
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
