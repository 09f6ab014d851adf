package brmr.admin.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {
    @TempDir
    Path tmp;

    @Test
    void aFileThatIsNotASocketIsNotReplaced() throws IOException {
        Path file = Files.writeString(tmp.resolve("precious.conf"), "keep me");
        Path directory = Files.createDirectory(tmp.resolve("dir"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), file);
        for (Path path : new Path[] {file, directory, link}) {
            try (ControlServer server = new ControlServer(path, new ControlTree(), () -> "")) {
                IOException refused = assertThrows(IOException.class, server::start);
                assertEquals("--socket " + path + ": exists and is not a socket; refusing to replace it",
                        refused.getMessage());
            }
        }
        assertEquals("keep me", Files.readString(file));
        assertEquals(true, Files.isDirectory(directory));
        assertEquals(true, Files.isSymbolicLink(link));
    }

    @Test
    void aStaleSocketIsReplaced() throws Exception {
        Path socket = tmp.resolve("control.sock");
        // a daemon that died leaves its socket file behind, with nobody answering on it
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        assertEquals(true, Files.exists(socket));
        try (ControlServer second = new ControlServer(socket, new ControlTree(), () -> "")) {
            second.start();
            assertEquals(true, ControlClient.answers(socket));
        }
    }
}
