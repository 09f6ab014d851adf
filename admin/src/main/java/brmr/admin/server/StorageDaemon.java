package brmr.admin.server;

public final class StorageDaemon {
    public static void main(String[] args) {
        System.err.println("StorageDaemon: not built yet");
        System.exit(2);
    }
}
