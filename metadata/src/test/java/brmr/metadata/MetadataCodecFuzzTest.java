package brmr.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the metadata header decoder: a mutated header (bits flipped, fields set to
 * extremes, resealed or not) always decodes to some DecodedHeader, never throws, and decodes as
 * valid only when it is exactly the encoding of what it decodes to. A header of the wrong size is
 * an IllegalArgumentException, as documented.
 */
class MetadataCodecFuzzTest {
    private static final long SEED = Long.getLong("fuzz.seed", 0x5EED_0009L);
    private static final int CASES = 100_000;
    private static final long[] EXTREMES = {0, 1, -1, 0x7f, 0x80, 0xff, 0xffff, Integer.MAX_VALUE, Integer.MIN_VALUE,
            Long.MAX_VALUE, Long.MIN_VALUE};

    @Test
    void mutatedHeadersNeverThrowAndDecodeAsValidOnlyToThemselves() {
        List<byte[]> headers = MetadataCodecTest.samples().stream().map(MetadataCodec::encode).toList();
        Random random = new Random(SEED);
        int valid = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] header = mutate(headers.get(random.nextInt(headers.size())), random);
            try {
                DecodedHeader decoded = MetadataCodec.decode(header);
                assertNotNull(decoded);
                if (decoded instanceof DecodedHeader.Valid v) {
                    valid++;
                    assertArrayEquals(header, MetadataCodec.encode(v.metadata()), "case " + i + " of seed " + SEED);
                }
            } catch (Throwable e) {
                fail("fuzz case " + i + " of seed " + SEED + " (replay with -Dfuzz.seed=" + SEED + ") threw " + e, e);
            }
        }
        assertTrue(valid > CASES / 100, "only " + valid + " mutated headers stayed valid: the test reaches no fields");
    }

    @Test
    void aHeaderOfTheWrongSizeIsAnIllegalArgument() {
        Random random = new Random(SEED);
        byte[] header = MetadataCodec.encode(MetadataCodecTest.samples().getFirst());
        for (int i = 0; i < 1000; i++) {
            byte[] cut = Arrays.copyOf(header, random.nextInt(2 * MetadataCodec.HEADER_BYTES));
            if (cut.length != MetadataCodec.HEADER_BYTES) {
                try {
                    MetadataCodec.decode(cut);
                    fail("a header of " + cut.length + " bytes decoded");
                } catch (IllegalArgumentException expected) {
                    // documented
                }
            }
        }
    }

    /** Flips bits or sets an int or long field to an extreme; three cases in four are resealed, reaching the fields. */
    private static byte[] mutate(byte[] valid, Random random) {
        byte[] header = valid.clone();
        if (random.nextBoolean()) {
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                int bit = random.nextInt(MetadataCodec.RESERVED_OFFSET * 8);
                header[bit / 8] ^= (byte) (1 << (bit % 8));
            }
        } else {
            int width = random.nextBoolean() ? 4 : 8;
            int at = random.nextInt(MetadataCodec.RESERVED_OFFSET / width) * width;
            long value = EXTREMES[random.nextInt(EXTREMES.length)];
            for (int b = 0; b < width; b++) {
                header[at + b] = (byte) (value >>> (8 * b));
            }
        }
        if (random.nextInt(4) != 0) {
            MetadataCodecTest.reseal(header);
        }
        return header;
    }
}
