package brmr.rmr.net;

import brmr.rmr.protocol.Message;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** A handler that answers with a function and records how its connection ended. */
final class RecordingHandler implements RequestServer.Handler {
    /** Answers one request. */
    interface Answer {
        Message answer(Message request) throws Exception;
    }

    private final Answer answer;
    final CompletableFuture<Throwable> closedCause = new CompletableFuture<>();
    final AtomicInteger closedCalls = new AtomicInteger();

    RecordingHandler(Answer answer) {
        this.answer = answer;
    }

    @Override
    public Message handle(Message request) throws Exception {
        return answer.answer(request);
    }

    @Override
    public void closed(Throwable cause) {
        closedCalls.incrementAndGet();
        closedCause.complete(cause);
    }
}
