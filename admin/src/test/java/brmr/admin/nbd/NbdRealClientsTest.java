package brmr.admin.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server as seen by the real NBD clients from libnbd and QEMU. */
class NbdRealClientsTest {
    private static final int SIZE = 8 << 20;

    @TempDir
    Path directory;

    private NbdServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private String serve(NbdExport... exports) throws IOException {
        server = new NbdServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> List.of(exports));
        server.start();
        return "nbd://127.0.0.1:" + server.address().getPort();
    }

    private static ExternalTool.Result qemuIo(String uri, String... commands) throws Exception {
        String[] command = new String[4 + 2 * commands.length];
        command[0] = "qemu-io";
        command[1] = "-f";
        command[2] = "raw";
        for (int i = 0; i < commands.length; i++) {
            command[3 + 2 * i] = "-c";
            command[4 + 2 * i] = commands[i];
        }
        command[command.length - 1] = uri;
        return ExternalTool.run(command);
    }

    private static void assertSucceeded(ExternalTool.Result result) {
        assertEquals(0, result.exitCode(), result.toString());
        assertFalse(result.output().contains("failed"), result.toString());
    }

    private static byte[] pattern(int length, int value) {
        byte[] data = new byte[length];
        Arrays.fill(data, (byte) value);
        return data;
    }

    private Path randomFile(String name) throws IOException {
        byte[] data = new byte[SIZE];
        new Random(1234).nextBytes(data);
        return Files.write(directory.resolve(name), data);
    }

    @Test
    void nbdinfoReportsSizeBlockSizesAndFlags() throws Exception {
        ExternalTool.assumeInstalled("nbdinfo");
        ExternalTool.Result result = ExternalTool.run("nbdinfo", "--json", serve(new ByteArrayExport("brmr0", SIZE)));
        assertEquals(0, result.exitCode(), result.toString());
        String json = result.output().replaceAll("\\s", "");
        for (String field : List.of("\"export-size\":" + SIZE, "\"block_size_minimum\":512",
                "\"block_size_preferred\":4096", "\"block_size_maximum\":33554432", "\"can_multi_conn\":false",
                "\"can_flush\":true", "\"can_fua\":true", "\"can_trim\":true", "\"can_zero\":true",
                "\"is_read_only\":false", "\"structured\":false")) {
            assertTrue(json.contains(field), field + " missing in " + result);
        }
    }

    @Test
    void nbdinfoListsTheExports() throws Exception {
        ExternalTool.assumeInstalled("nbdinfo");
        String uri = serve(new ByteArrayExport("brmr0", SIZE), new ByteArrayExport("brmr1", 4096));
        ExternalTool.Result result = ExternalTool.run("nbdinfo", "--list", uri);
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.output().contains("export=\"brmr0\""), result.toString());
        assertTrue(result.output().contains("export=\"brmr1\""), result.toString());
    }

    @Test
    void qemuIoWritesAndReadsBackAPattern() throws Exception {
        ExternalTool.assumeInstalled("qemu-io");
        ByteArrayExport export = new ByteArrayExport("brmr0", SIZE);
        String uri = serve(export);
        assertSucceeded(qemuIo(uri, "write -P 0xab 0 1M", "read -P 0xab 0 1M"));
        assertArrayEquals(pattern(1 << 20, 0xab), export.contents(0, 1 << 20));
        assertArrayEquals(pattern(4096, 0), export.contents(1 << 20, 4096));
        ExternalTool.Result mismatch = qemuIo(uri, "read -P 0xcd 0 4k");
        assertTrue(mismatch.output().contains("Pattern verification failed"), mismatch.toString());
    }

    @Test
    void qemuIoUnalignedWriteKeepsTheNeighbouringBytes() throws Exception {
        ExternalTool.assumeInstalled("qemu-io");
        ByteArrayExport export = new ByteArrayExport("brmr0", SIZE);
        export.fill(0, 8192, (byte) 0x11);
        String uri = serve(export);
        assertSucceeded(qemuIo(uri, "write -P 0xcd 1000 3000", "read -P 0xcd 1000 3000", "read -P 0x11 0 1000",
                "read -P 0x11 4000 4192"));
        assertArrayEquals(pattern(1000, 0x11), export.contents(0, 1000));
        assertArrayEquals(pattern(3000, 0xcd), export.contents(1000, 3000));
        assertArrayEquals(pattern(4192, 0x11), export.contents(4000, 4192));
    }

    @Test
    void nbdcopyCopiesAFileInAndBackOut() throws Exception {
        ExternalTool.assumeInstalled("nbdcopy");
        ByteArrayExport export = new ByteArrayExport("brmr0", SIZE);
        String uri = serve(export);
        Path source = randomFile("source.img");
        Path copy = directory.resolve("copy.img");
        Files.write(copy, new byte[0]);
        ExternalTool.Result in = ExternalTool.run("nbdcopy", source.toString(), uri);
        assertEquals(0, in.exitCode(), in.toString());
        assertArrayEquals(Files.readAllBytes(source), export.contents(), "export after nbdcopy in");
        ExternalTool.Result out = ExternalTool.run("nbdcopy", uri, copy.toString());
        assertEquals(0, out.exitCode(), out.toString());
        assertArrayEquals(Files.readAllBytes(source), Files.readAllBytes(copy), "file after nbdcopy out");
    }

    @Test
    void qemuImgCompareSeesEqualContentAndThenADifference() throws Exception {
        ExternalTool.assumeInstalled("qemu-img");
        ByteArrayExport export = new ByteArrayExport("brmr0", SIZE);
        Path file = randomFile("disk.img");
        export.load(Files.readAllBytes(file));
        String uri = serve(export);
        ExternalTool.Result same = ExternalTool.run("qemu-img", "compare", "-f", "raw", "-F", "raw", file.toString(),
                uri);
        assertEquals(0, same.exitCode(), same.toString());
        export.fill(5 << 20, 1, (byte) ~export.contents(5 << 20, 1)[0]);
        ExternalTool.Result different = ExternalTool.run("qemu-img", "compare", "-f", "raw", "-F", "raw",
                file.toString(), uri);
        assertEquals(1, different.exitCode(), different.toString());
        assertTrue(different.output().contains("offset " + (5 << 20)), different.toString());
    }

    @Test
    void qemuIoFlushDiscardAndWriteZeroesReachTheExport() throws Exception {
        ExternalTool.assumeInstalled("qemu-io");
        ByteArrayExport export = new ByteArrayExport("brmr0", SIZE);
        String uri = serve(export);
        ExternalTool.Result result = qemuIo(uri, "write -P 0x11 0 128k", "flush", "discard 0 64k",
                "write -z 64k 64k", "read -P 0 64k 64k");
        assertSucceeded(result);
        assertFalse(export.completedWritesAtFlush().isEmpty(), "no flush reached the export");
        assertTrue(export.completedWritesAtFlush().getFirst() >= 1, export.completedWritesAtFlush().toString());
        assertTrue(export.trims().contains(new ByteArrayExport.Range(0, 64 << 10)), export.trims().toString());
        assertTrue(export.zeroes().contains(new ByteArrayExport.Range(64 << 10, 64 << 10)), export.zeroes().toString());
        assertArrayEquals(pattern(64 << 10, 0), export.contents(64 << 10, 64 << 10));
    }

    @Test
    void exportFailureFailsOneQemuIoCommandAndANewConnectionWorks() throws Exception {
        ExternalTool.assumeInstalled("qemu-io");
        ByteArrayExport export = new ByteArrayExport("brmr0", SIZE);
        export.fill(0, 4096, (byte) 0x5e);
        String uri = serve(export);
        export.failOnce(ByteArrayExport.Operation.READ, 0);
        ExternalTool.Result failed = qemuIo(uri, "read -P 0x5e 0 4k");
        assertTrue(failed.output().contains("read failed: Input/output error"), failed.toString());
        assertNotEquals(0, failed.exitCode(), failed.toString());
        assertSucceeded(qemuIo(uri, "read -P 0x5e 0 4k"));
    }
}
