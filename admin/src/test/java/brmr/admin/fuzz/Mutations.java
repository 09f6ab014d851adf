package brmr.admin.fuzz;

import java.util.Arrays;
import java.util.Random;

/** Seeded mutations of valid encodings for fuzz tests: bit flips, truncations, extreme length fields, stray bytes. */
public final class Mutations {
    /** The seed every fuzz test of this module starts from; {@code -Dfuzz.seed=N} replays another run. */
    public static final long SEED = Long.getLong("fuzz.seed", 0x5EED_0009L);
    private static final long[] EXTREMES = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffffL, 0x80000000L,
            0xffffffffL};

    private Mutations() {
    }

    /** A copy of {@code valid} changed in one of the four ways, chosen by {@code random}. */
    public static byte[] mutate(byte[] valid, Random random) {
        if (valid.length == 0) {
            return new byte[] {(byte) random.nextInt(256)};
        }
        byte[] bytes = valid.clone();
        switch (random.nextInt(4)) {
            case 0 -> {
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    int bit = random.nextInt(bytes.length * 8);
                    bytes[bit / 8] ^= (byte) (1 << (bit % 8));
                }
            }
            case 1 -> bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length));
            case 2 -> {
                // a length or count field, wherever one may sit: a 2- or 4-byte big-endian window
                int width = random.nextBoolean() ? 2 : 4;
                int at = random.nextInt(bytes.length);
                long value = EXTREMES[random.nextInt(EXTREMES.length)];
                for (int b = 0; b < width && at + b < bytes.length; b++) {
                    bytes[at + b] = (byte) (value >>> (8 * (width - 1 - b)));
                }
            }
            default -> {
                bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                if (random.nextBoolean()) {
                    bytes = Arrays.copyOf(bytes, bytes.length + random.nextInt(16));
                }
            }
        }
        return bytes;
    }

    /** The message a failing case reports: enough to replay it. */
    public static String replay(int caseNumber, byte[] input, Throwable thrown) {
        return "fuzz case " + caseNumber + " of seed " + SEED + " (replay with -Dfuzz.seed=" + SEED + ") threw "
                + thrown + " for " + Arrays.toString(Arrays.copyOf(input, Math.min(input.length, 64)));
    }
}
