package brmr.rmr.client;

import brmr.rmr.protocol.Message;
import java.util.UUID;

/**
 * This client as a pool's writer: its persisted identity and the writer epoch it claimed with its
 * latest map (0 before its first). Every compute session names both in its Hello, so a storage node
 * tells a reconnect of this client from another client, and refuses this one once fenced.
 */
public final class ClientWriter {
    private final UUID clientId;
    private volatile long epoch;

    public ClientWriter(UUID clientId) {
        this.clientId = clientId;
    }

    public UUID clientId() {
        return clientId;
    }

    public long epoch() {
        return epoch;
    }

    void claimed(long newEpoch) {
        epoch = newEpoch;
    }

    /** What a session's Hello says; {@code force} takes the pool over from another client still connected. */
    Message.Writer hello(boolean force) {
        return new Message.Writer(clientId, epoch, force);
    }
}
