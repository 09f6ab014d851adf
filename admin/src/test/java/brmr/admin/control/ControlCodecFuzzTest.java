package brmr.admin.control;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import brmr.admin.fuzz.Mutations;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the control-socket decoders: a mutated request or response line decodes or is
 * refused with a ControlException, never anything else.
 */
class ControlCodecFuzzTest {
    private static final int CASES = 100_000;

    @Test
    void mutatedLinesDecodeOrAreRefusedWithAControlException() {
        List<byte[]> lines = List.of(
                line(ControlCodec.encode(new ControlCodec.Request("write", "rmr-server/ctl/join_pool",
                        "poolname=ionos_pool member_id=42"))),
                line(ControlCodec.encode(new ControlCodec.Request("read", "brmr-server/stores/p/state", null))),
                line(ControlCodec.encode(new ControlCodec.Request("status", null, null))),
                line(ControlCodec.encode(ControlCodec.Response.success("open\nmapped ✓"))),
                line(ControlCodec.encode(ControlCodec.Response.failure("pool: not joined"))));
        Random random = new Random(Mutations.SEED + 3);
        int decoded = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] input = Mutations.mutate(lines.get(random.nextInt(lines.size())), random);
            String line = new String(input, StandardCharsets.UTF_8);
            try {
                if (random.nextBoolean()) {
                    ControlCodec.decodeRequest(line);
                } else {
                    ControlCodec.decodeResponse(line);
                }
                decoded++;
            } catch (ControlException e) {
                // documented: the line is refused, naming the field
            } catch (Throwable e) {
                fail(Mutations.replay(i, input, e), e);
            }
        }
        assertTrue(decoded > CASES / 100, "only " + decoded + " lines decoded: the mutations broke everything");
    }

    private static byte[] line(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
