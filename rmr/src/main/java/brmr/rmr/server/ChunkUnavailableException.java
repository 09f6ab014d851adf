package brmr.rmr.server;

import java.io.IOException;

/**
 * A chunk no reachable peer holds clean: peers answered, but none could supply it. Unlike a peer
 * that cannot be reached, this says nothing about the other chunks, so a sync skips it and goes on.
 */
public final class ChunkUnavailableException extends IOException {
    public ChunkUnavailableException(String message) {
        super(message);
    }
}
