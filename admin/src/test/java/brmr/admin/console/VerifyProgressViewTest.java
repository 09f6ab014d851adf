package brmr.admin.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerifyProgressViewTest {
    private static Map<String, Object> progress(String state, String reason, int compared, String differing,
            int skipped, double percent) throws IOException {
        int differ = differing.isEmpty() ? 0 : differing.split(",").length;
        return SyncProgressView.parse("{\"pool\":\"p1\",\"state\":\"" + state + "\",\"reason\":"
                + (reason == null ? "null" : "\"" + reason + "\"") + ",\"compared\":" + compared + ",\"differ\":"
                + differ + ",\"differing\":[" + differing + "],\"skipped\":" + skipped + ",\"total\":800,\"first\":0,"
                + "\"last\":799,\"chunk_size\":131072,\"percent\":" + percent + ",\"mib_per_s\":512.34,"
                + "\"elapsed_seconds\":75,\"repair\":false}");
    }

    @Test
    void runningShowsBarCountsAndRate() throws IOException {
        var running = progress("running", null, 200, "17", 0, 25.0);
        assertEquals("p1: running  25.0% [########......................] 200/800 chunks compared, 1 differ, "
                + "512.3 MiB/s", VerifyProgressView.line(running));
        assertEquals(true, SyncProgressView.running(running));
    }

    @Test
    void doneListsTheDifferingChunksAndSetsTheExitCode() throws IOException {
        var clean = progress("done", null, 800, "", 0, 100.0);
        assertEquals("p1: done 100.0% [##############################] 800 chunks compared, 0 differ: [] in 0:01:15",
                VerifyProgressView.line(clean));
        assertEquals(0, VerifyProgressView.exitCode(clean));
        var differ = progress("done", null, 797, "3,640", 3, 100.0);
        assertEquals("p1: done 100.0% [##############################] 797 chunks compared, 2 differ: [3 640], "
                + "3 skipped in 0:01:15", VerifyProgressView.line(differ));
        assertEquals(2, VerifyProgressView.exitCode(differ));
    }

    @Test
    void stoppedAndIdleSayWhatHappened() throws IOException {
        var stopped = progress("stopped", "no peer could be asked for the checksum of chunk 400: s2: session is "
                + "failed", 400, "", 0, 50.0);
        assertEquals("p1: stopped  50.0% [###############...............] 400 chunks compared, 0 differ: [] in "
                + "0:01:15, stopped: no peer could be asked for the checksum of chunk 400: s2: session is failed",
                VerifyProgressView.line(stopped));
        assertEquals(1, VerifyProgressView.exitCode(stopped));
        assertEquals("p1: idle", VerifyProgressView.line(progress("idle", null, 0, "", 0, 0.0)));
    }
}
