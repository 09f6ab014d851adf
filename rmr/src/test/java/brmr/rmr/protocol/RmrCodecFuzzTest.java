package brmr.rmr.protocol;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the frame decoder: valid frames with bits flipped, cut short, or with a length
 * field set to an extreme decode or end in a ProtocolException (EOFException only for no bytes at
 * all), never anything else. A failure names the seed and case, which replay it exactly.
 */
class RmrCodecFuzzTest {
    private static final long SEED = Long.getLong("fuzz.seed", 0x5EED_0009L);
    private static final int CASES = 100_000;
    /** Big samples make each case slow without reaching new code: the decoder copies their data in one piece. */
    private static final int MAX_SAMPLE_BYTES = 16 * 1024;
    private static final int[] EXTREMES = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
            0xffffffff};

    @Test
    void mutatedFramesEndInAFrameOrAProtocolException() {
        List<byte[]> frames = RmrCodecTest.samples().stream()
                .map(message -> FrameBytes.encode(7, message))
                .filter(frame -> frame.length <= MAX_SAMPLE_BYTES)
                .toList();
        Random random = new Random(SEED);
        int decoded = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] frame = mutate(frames.get(random.nextInt(frames.size())), random);
            try {
                RmrCodec.read(new ByteArrayInputStream(frame));
                decoded++;
            } catch (ProtocolException e) {
                // documented: the bytes are not a valid frame
            } catch (EOFException e) {
                if (frame.length != 0) {
                    fail("seed " + SEED + " case " + i + ": EOFException for " + frame.length + " bytes", e);
                }
            } catch (Throwable e) {
                fail("seed " + SEED + " case " + i + " (-Dfuzz.seed=" + SEED + "): " + e + " for "
                        + Arrays.toString(Arrays.copyOf(frame, Math.min(frame.length, 64))), e);
            }
        }
        // mutations that keep a frame valid (e.g. a flipped data bit) must still decode
        assertTrue(decoded > CASES / 100, "seed " + SEED + ": only " + decoded + " cases decoded");
    }

    @Test
    void aDeclaredPayloadCostsNothingUntilItsBytesArrive() throws Exception {
        byte[] frame = Arrays.copyOf(FrameBytes.encode(1, new Message.Data(MemorySegment.ofArray(new byte[16]))), 1024);
        ByteBuffer.wrap(frame).putInt(RmrCodec.LENGTH_OFFSET, RmrCodec.MAX_PAYLOAD)
                .putInt(RmrCodec.HEADER_BYTES, RmrCodec.MAX_PAYLOAD - 4);
        long before = allocatedByThisThread();
        for (int i = 0; i < 100; i++) {
            try {
                RmrCodec.read(new ByteArrayInputStream(frame));
                fail("a frame cut short decoded");
            } catch (ProtocolException expected) {
                // the connection ended inside the payload
            }
        }
        long allocated = allocatedByThisThread() - before;
        assertTrue(allocated < 100 * (1L << 20), "100 frames declaring 64 MiB but carrying 1 KiB allocated "
                + allocated + " bytes");
    }

    /** Through reflection: the test runs inside brmr.rmr, which reads neither java.management nor jdk.management. */
    private static long allocatedByThisThread() throws ReflectiveOperationException {
        Module self = RmrCodecFuzzTest.class.getModule();
        ModuleLayer.boot().findModule("java.management").ifPresent(self::addReads);
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        Method allocated = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        return (long) allocated.invoke(threads);
    }

    private static byte[] mutate(byte[] valid, Random random) {
        byte[] frame = valid.clone();
        switch (random.nextInt(4)) {
            case 0 -> {
                for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                    int bit = random.nextInt(frame.length * 8);
                    frame[bit / 8] ^= (byte) (1 << (bit % 8));
                }
            }
            case 1 -> frame = Arrays.copyOf(frame, random.nextInt(frame.length));
            case 2 -> {
                // a length or count field: the header's payload length or any 2- or 4-byte window of the payload
                int width = random.nextBoolean() ? 2 : 4;
                int at = random.nextInt(4) == 0 ? RmrCodec.LENGTH_OFFSET
                        : RmrCodec.HEADER_BYTES + random.nextInt(Math.max(1, frame.length - RmrCodec.HEADER_BYTES));
                long value = Integer.toUnsignedLong(EXTREMES[random.nextInt(EXTREMES.length)]);
                for (int b = 0; b < width && at + b < frame.length; b++) {
                    frame[at + b] = (byte) (value >>> (8 * (width - 1 - b)));
                }
            }
            default -> {
                int at = random.nextInt(frame.length);
                frame[at] = (byte) random.nextInt(256);
                if (random.nextBoolean()) {
                    frame = Arrays.copyOf(frame, frame.length + random.nextInt(16));
                }
            }
        }
        return frame;
    }
}
