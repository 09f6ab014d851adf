package brmr.rmr.net;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** An {@code onClosed} callback of an RpcChannel that records its cause and how often it ran. */
final class ClosedRecorder implements Consumer<Throwable> {
    final CompletableFuture<Throwable> cause = new CompletableFuture<>();
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public void accept(Throwable closeCause) {
        calls.incrementAndGet();
        cause.complete(closeCause);
    }
}
