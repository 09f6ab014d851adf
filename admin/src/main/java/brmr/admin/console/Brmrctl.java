package brmr.admin.console;

public final class Brmrctl {
    public static void main(String[] args) {
        System.err.println("Brmrctl: not built yet");
        System.exit(2);
    }
}
