package brmr.admin.server;

import brmr.admin.control.ControlArgs;
import brmr.admin.control.ControlException;
import brmr.admin.control.ControlTree;
import brmr.rmr.server.ServerPool;
import brmr.rmr.server.VerifyProgress;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The online verify's control files of a server pool: {@code rmr-server/pools/<p>/verify} takes
 * {@code start [first=N] [last=M] [repair=0|1]} or {@code stop} and reads as one line;
 * {@code verify_progress} is the same as JSON, for {@code brmrctl verify}.
 */
final class VerifyFiles {
    /** How the files find the server pool a path names. */
    @FunctionalInterface
    interface Pools {
        ServerPool pool(ControlTree.Vars vars) throws ControlException;
    }

    private VerifyFiles() {
    }

    static void register(ControlTree tree, Pools pools) {
        tree.file("rmr-server/pools/{pool}/verify", vars -> pools.pool(vars).verify().progress().describe(),
                        (vars, value) -> command(pools.pool(vars), value))
                .readable("rmr-server/pools/{pool}/verify_progress", vars -> json(pools.pool(vars)));
    }

    private static String command(ServerPool pool, String value) throws ControlException {
        String[] words = value.strip().split("\\s+", 2);
        String arguments = words.length > 1 ? words[1] : "";
        switch (words[0]) {
            case "stop" -> {
                if (!arguments.isEmpty()) {
                    throw new ControlException("verify", "stop takes no arguments (got '" + arguments + "')");
                }
                pool.verify().stop();
            }
            case "start" -> {
                Optional<ControlArgs> args = arguments.isEmpty() ? Optional.empty()
                        : Optional.of(ControlArgs.parse("verify", arguments, List.of(), List.of("first", "last",
                                "repair")));
                long first = number(args, "first").orElse(0L);
                Long last = number(args, "last").orElse(null);
                String repair = args.flatMap(a -> a.optionalText("repair")).orElse("0");
                if (!repair.equals("0") && !repair.equals("1")) {
                    throw new ControlException("repair", "must be 0 or 1 (got '" + repair + "')");
                }
                ControlException.refusing(() -> pool.verify().start(first, last, repair.equals("1")));
            }
            default -> throw new ControlException("verify", "'" + words[0] + "' is not start or stop");
        }
        return "";
    }

    /** A chunk number; its range is the pool's to judge, so that the refusal can name the pool's size. */
    private static Optional<Long> number(Optional<ControlArgs> args, String key) throws ControlException {
        return args.isEmpty() ? Optional.empty() : args.get().optionalNumber(key, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    private static String json(ServerPool pool) {
        VerifyProgress progress = pool.verify().progress();
        boolean idle = progress.state() == VerifyProgress.State.IDLE;
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("pool", pool.name());
        json.put("state", progress.state().name().toLowerCase(Locale.ROOT));
        json.put("reason", progress.reason());
        json.put("compared", progress.compared());
        json.put("differ", progress.differing().size());
        json.put("differing", progress.differing());
        json.put("skipped", progress.skipped());
        json.put("total", progress.total());
        json.put("first", idle ? null : progress.first());
        json.put("last", idle ? null : progress.last());
        json.put("chunk_size", pool.chunkSize());
        json.put("percent", Math.round(progress.percent() * 10) / 10.0);
        json.put("mib_per_s", Math.round(progress.mibPerSecond() * 10) / 10.0);
        json.put("elapsed_seconds", progress.elapsed().toSeconds());
        json.put("repair", progress.repair());
        try {
            return JSON.std.asString(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
