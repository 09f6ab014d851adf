package brmr.admin.client;

public final class ClientDaemon {
    public static void main(String[] args) {
        System.err.println("ClientDaemon: not built yet");
        System.exit(2);
    }
}
