package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Reading fio's output: the completion log, the progress line and the JSON report, as fio 3.33 writes them. */
class FioTest {
    @Test
    void longestGapIsBetweenConsecutiveCompletionsWhateverTheOrderOfTheLines() {
        Fio.Gap gap = Fio.longestGap(Stream.of("0, 381059, 1, 12288, 0", "3, 594197, 0, 45056, 0",
                "5012, 5004000, 1, 4096, 0, 0", "4, 2000, 1, 8192, 0", "", "5013, 1000, 0, 65536, 0"));
        assertEquals(new Fio.Gap(4, 5012), gap);
        assertEquals(5008, gap.millis());
    }

    @Test
    void aLogWithFewerThanTwoCompletionsHasNoGap() {
        assertThrows(IllegalArgumentException.class, () -> Fio.longestGap(Stream.of("7, 100, 1, 4096, 0")));
    }

    @Test
    void progressLineShowsIoOnlyWithANonZeroRate() {
        assertTrue(Fio.showsIo("Jobs: 1 (f=1): [w(1)][-.-%][r=14.1MiB/s,w=7967KiB/s][r=513,w=276 IOPS][eta 00m:00s]"));
        assertTrue(Fio.showsIo("Jobs: 1 (f=1), 0-2000 IOPS: [w(1)][12.0%][w=40.1MiB/s][w=1.2k IOPS][eta 00m:44s]"));
        assertTrue(Fio.showsIo("Jobs: 1 (f=1): [V(1)][80.0%][r=20.0MiB/s][r=0,w=3 IOPS][eta 00m:01s]"));
        assertFalse(Fio.showsIo("Jobs: 1 (f=1), 0-2000 IOPS: [w(1)][-.-%][r=0KiB/s,w=0KiB/s][r=0,w=0 IOPS][eta 01m:00s]"));
        assertFalse(Fio.showsIo("Jobs: 1 (f=1): [w(1)][-.-%][eta 01m:00s]"));
    }

    @Test
    void reportIsReadPastFiosNoticesAndErrorsAreNamed() throws Exception {
        String text = "fio: terminating on signal 2\n{\n  \"fio version\" : \"fio-3.33\",\n  \"jobs\" : [ {\n"
                + "    \"jobname\" : \"t\", \"error\" : 5, \"read\" : { \"io_bytes\" : 8192 },\n"
                + "    \"write\" : { \"io_bytes\" : 16384 } } ]\n}\n";
        Map<String, Object> job = Fio.jobOf(text);
        Fio.Report report = new Fio.Report("t", 1, job, "fio: io_u error on file t: Input/output error: write "
                + "offset=7884800, buflen=24576\nfio: connected to NBD server\n", Path.of("none"));
        assertEquals(5, report.error());
        assertEquals(8192, report.bytes("read"));
        assertEquals(16384, report.bytes("write"));
        AssertionError failed = assertThrows(AssertionError.class, report::assertNoErrors);
        assertTrue(failed.getMessage().contains("[exit 1, job error 5, fio: io_u error on file t: Input/output "
                + "error: write offset=7884800, buflen=24576]"), failed.getMessage());
        assertEquals(Map.of(), Fio.jobOf("fio: cannot connect\n"));
    }

    @Test
    void aCleanReportPasses() throws Exception {
        Map<String, Object> job = Fio.jobOf("{\"jobs\": [{\"error\": 0, \"write\": {\"io_bytes\": 1}}]}");
        new Fio.Report("t", 0, job, "fio: connected to NBD server\n", Path.of("none")).assertNoErrors();
    }
}
