package brmr.admin.client;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * A compute client's persisted identity: a UUID in {@code client-id} of its state dir, made at the
 * first start (written to a temporary file, synced, renamed). Storage nodes tell a reconnect of this
 * client from another client by it, whatever the session names.
 */
public final class ClientIdentity {
    static final String FILE = "client-id";

    private ClientIdentity() {
    }

    /** The identity stored in {@code stateDir}, made there first when there is none. */
    public static UUID loadOrCreate(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE);
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
            try {
                return UUID.fromString(text);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": '" + text + "' is not a client UUID; remove the file to make a new "
                        + "identity (storage nodes then see this client as another one)");
            }
        }
        UUID made = UUID.randomUUID();
        Path temporary = stateDir.resolve(FILE + ".tmp");
        Files.writeString(temporary, made + "\n", StandardCharsets.US_ASCII);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        try {
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel directory = FileChannel.open(stateDir, StandardOpenOption.READ)) {
            directory.force(true);
        }
        return made;
    }
}
