package brmr.admin.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class SyncProgressViewTest {
    @Test
    void runningShowsPercentBarRateAndEta() throws IOException {
        var progress = SyncProgressView.parse("{\"pool\":\"p1\",\"state\":\"running\",\"reason\":null,\"synced\":200,"
                + "\"dirty\":600,\"total\":800,\"chunk_size\":131072,\"percent\":25.0,\"mib_per_s\":10.0,"
                + "\"eta_seconds\":75,\"elapsed_seconds\":2}");
        assertEquals(true, SyncProgressView.running(progress));
        assertEquals("p1: running  25.0% [########......................] 200/800 chunks clean, 10.0 MiB/s, "
                + "eta 0:01:15", SyncProgressView.line(progress));
    }

    @Test
    void doneStoppedAndIdleSayWhatHappened() throws IOException {
        assertEquals("p1: done 100.0% [##############################] 800/800 chunks clean, 800 synced in 0:00:21",
                SyncProgressView.line(SyncProgressView.parse("{\"pool\":\"p1\",\"state\":\"done\",\"synced\":800,"
                        + "\"dirty\":0,\"total\":800,\"percent\":100.0,\"mib_per_s\":4.8,\"eta_seconds\":0,"
                        + "\"elapsed_seconds\":21}")));
        assertEquals("p1: stopped  50.0% [###############...............] 400/800 chunks clean, stopped: no peer could "
                + "supply chunk 400", SyncProgressView.line(SyncProgressView.parse("{\"pool\":\"p1\",\"state\":"
                + "\"stopped\",\"reason\":\"no peer could supply chunk 400\",\"synced\":400,\"dirty\":400,\"total\":800,"
                + "\"percent\":50.0,\"mib_per_s\":0.0,\"eta_seconds\":null,\"elapsed_seconds\":9}")));
        assertEquals("p1: idle 800/800 chunks clean", SyncProgressView.line(SyncProgressView.parse("{\"pool\":\"p1\","
                + "\"state\":\"idle\",\"synced\":0,\"dirty\":0,\"total\":800,\"percent\":100.0,\"mib_per_s\":0.0,"
                + "\"eta_seconds\":0,\"elapsed_seconds\":0}")));
    }
}
