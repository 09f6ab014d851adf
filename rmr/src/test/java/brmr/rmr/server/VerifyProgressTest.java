package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one line of {@code rmr-server/pools/<p>/verify} in every state. */
class VerifyProgressTest {
    private static VerifyProgress progress(VerifyProgress.State state, String reason, long compared,
            List<Long> differing, long skipped) {
        return new VerifyProgress(state, reason, compared, differing, skipped, 100, 899, false, 123.45,
                Duration.ofSeconds(7));
    }

    @Test
    void idle() {
        assertEquals("idle", VerifyProgress.idle().describe());
    }

    @Test
    void running() {
        VerifyProgress running = progress(VerifyProgress.State.RUNNING, null, 350, List.of(120L, 130L), 50);
        assertEquals("running: 350/800 chunks compared, 2 differ, 123.5 MiB/s", running.describe());
        assertEquals(50.0, running.percent());
    }

    @Test
    void doneListsTheDifferingChunksAndSkippedOnlyWhenThereAreAny() {
        assertEquals("done: 800 chunks compared, 0 differ: []",
                progress(VerifyProgress.State.DONE, null, 800, List.of(), 0).describe());
        assertEquals("done: 795 chunks compared, 3 differ: [101 640 899], 5 skipped",
                progress(VerifyProgress.State.DONE, null, 795, List.of(101L, 640L, 899L), 5).describe());
    }

    @Test
    void stoppedSaysWhy() {
        assertEquals("stopped: no peer could be asked for the checksum of chunk 400: s2: session is failed, "
                + "300 chunks compared, 1 differ: [250]", progress(VerifyProgress.State.STOPPED,
                "no peer could be asked for the checksum of chunk 400: s2: session is failed", 300, List.of(250L), 0)
                .describe());
    }
}
