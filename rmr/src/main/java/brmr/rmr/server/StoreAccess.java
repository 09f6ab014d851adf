package brmr.rmr.server;

import brmr.device.DeviceException;
import brmr.rmr.adapter.PoolStore;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message.Status;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;
import org.tinylog.Logger;

/**
 * The only way to the registered store's disk: every call passes the store's {@link IoGate}, and the
 * first call that fails puts the store in the failed state for good, so it serves no further IO
 * until the operator removes and re-adds it.
 */
final class StoreAccess {
    /** One call on the store. */
    @FunctionalInterface
    interface StoreCall<T> {
        T call(PoolStore store) throws IOException;
    }

    private final String pool;
    private final int member;
    private final PoolStore store;
    private final IoGate gate;
    private final Consumer<StoreAccess> onFailure;
    /** Why the store failed; null while healthy, set once under this, read anywhere (every IO checks it). */
    private volatile String failure;

    /** @param onFailure told once, after the first failure is recorded (the pool goes NO_IO) */
    StoreAccess(String pool, int member, PoolStore store, Consumer<StoreAccess> onFailure) {
        this.pool = pool;
        this.member = member;
        this.store = store;
        this.onFailure = onFailure;
        this.gate = new IoGate("pool " + pool + ": store " + store.deviceName());
    }

    PoolStore store() {
        return store;
    }

    StoreParams params() {
        return store.params();
    }

    IoGate gate() {
        return gate;
    }

    /**
     * Runs {@code call} on the store. Refused with NOT_READY once teardown has begun and with
     * IO_ERROR once the store has failed; a call that fails now fails the store.
     *
     * @param what the kind of call ("data write"), for the failure reason
     */
    <T> T call(String what, StoreCall<T> call) throws RequestException {
        if (!gate.enter()) {
            throw new RequestException(Status.NOT_READY, "the store of pool " + pool + " on member " + member
                    + " is being removed");
        }
        try {
            requireHealthy();
            return call.call(store);
        } catch (IOException e) {
            throw failed(what, e);
        } finally {
            gate.exit();
        }
    }

    /** As {@link #call}, for calls without a result. */
    void run(String what, StoreCall<?> action) throws RequestException {
        call(what, action);
    }

    Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    void requireHealthy() throws RequestException {
        String why = failure;
        if (why != null) {
            throw new RequestException(Status.IO_ERROR, sentence(why));
        }
    }

    /** What an operator and the compute client read: which store failed, why, and what to do. */
    String sentence(String why) {
        return "store of pool " + pool + " on member " + member + " failed: " + why
                + "; remove_store and add_store it again";
    }

    private RequestException failed(String what, IOException e) {
        String why = what + ": " + describe(e);
        boolean first;
        synchronized (this) {
            first = failure == null;
            if (first) {
                failure = why;
            }
        }
        if (first) {
            Logger.error("pool {}: {}", pool, sentence(why));
            onFailure.accept(this);
        }
        return new RequestException(Status.IO_ERROR, sentence(failure().orElse(why)), e);
    }

    /** Device, range and errno when the disk said so, else the store's own words. */
    private String describe(IOException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof DeviceException device) {
                return device.describe();
            }
        }
        return store.deviceName() + ": " + e.getMessage();
    }
}
