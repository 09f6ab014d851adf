package brmr.rmr.server;

import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Status;
import java.util.UUID;

/**
 * The writer of a pool as its store records it: the newest writer epoch and the client that claimed
 * it. A client claims a new epoch with each map, and a client that takes a pool over with force
 * claims one at its join; a client whose own epoch is older than the store's is fenced: it may
 * neither write nor rejoin, so two clients never take the sessions from each other.
 */
final class PoolWriter {
    private final String pool;
    /** Guarded by this. */
    private long epoch;
    /** Guarded by this; null before the first claim. */
    private UUID client;

    /** @param pool "pool p on member m", for refusals */
    PoolWriter(String pool, long epoch, UUID client) {
        this.pool = pool;
        this.epoch = epoch;
        this.client = client;
    }

    synchronized long epoch() {
        return epoch;
    }

    synchronized UUID client() {
        return client;
    }

    /**
     * Checks a compute session's join. A client that last claimed an epoch older than the store's,
     * while another client claimed the newer one, is fenced unless it forces a take-over.
     */
    synchronized void checkJoin(Message.Writer joining) throws RequestException {
        if (joining == null || joining.force() || joining.epoch() == 0 || joining.epoch() >= epoch
                || joining.clientId().equals(client)) {
            return;
        }
        throw new RequestException(Status.FENCED, "client " + joining.clientId() + " is fenced from " + pool
                + ": another client took it over at writer epoch " + epoch + " (this client's is "
                + joining.epoch() + "); map it again with force=1 only if that client is gone");
    }

    /** Whether {@code joining} is a client other than the one {@code current} belongs to. */
    static boolean otherClient(Message.Writer current, Message.Writer joining) {
        return current != null && joining != null && !current.clientId().equals(joining.clientId());
    }

    /** The claim to record for {@code epoch}; refused when it is not newer than the store's. */
    synchronized void checkClaim(long claimed) throws RequestException {
        if (claimed <= epoch) {
            throw new RequestException(Status.REFUSED, "writer epoch " + claimed + " is not newer than epoch " + epoch
                    + " of " + pool);
        }
    }

    /** The store's writer record was cleared ({@code discard_my_data}): no epoch, no client. */
    synchronized void cleared() {
        epoch = 0;
        client = null;
    }

    /** Records a claim that is durable on the store. */
    synchronized void claimed(long newEpoch, UUID newClient) {
        if (newEpoch > epoch) {
            epoch = newEpoch;
            client = newClient;
        }
    }
}
