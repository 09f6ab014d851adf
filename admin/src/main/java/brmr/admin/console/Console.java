package brmr.admin.console;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.List;

/**
 * The interactive console: brmrctl commands plus the runbook's shell lines, {@code echo VALUE > PATH}
 * and {@code cat PATH}, so an operator can paste them unchanged.
 */
final class Console {
    private final Brmrctl ctl;
    private final boolean interactive;

    Console(Brmrctl ctl, boolean interactive) {
        this.ctl = ctl;
        this.interactive = interactive;
    }

    /** Returns 0 when every command succeeded, else the exit code of the last failure. */
    int run(BufferedReader in) {
        int result = Brmrctl.OK;
        try {
            while (true) {
                if (interactive) {
                    ctl.out().print("brmr> ");
                    ctl.out().flush();
                }
                String line = in.readLine();
                if (line == null) {
                    return result;
                }
                String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                    continue;
                }
                if (trimmed.equals("exit") || trimmed.equals("quit")) {
                    return result;
                }
                int code = execute(trimmed);
                if (code != Brmrctl.OK) {
                    result = code;
                }
            }
        } catch (IOException e) {
            ctl.err().println("brmrctl: reading commands failed: " + e.getMessage());
            return Brmrctl.FAILED;
        }
    }

    int execute(String line) {
        List<String> words;
        try {
            words = ShellWords.split(line);
        } catch (IllegalArgumentException e) {
            ctl.err().println("brmrctl: " + e.getMessage());
            return Brmrctl.USAGE;
        }
        if (words.isEmpty()) {
            return Brmrctl.OK;
        }
        return switch (words.getFirst()) {
            case "echo" -> echo(words);
            case "cat" -> cat(words);
            case "help" -> {
                ctl.out().print(Brmrctl.USAGE_TEXT);
                ctl.out().println("  echo VALUE > PATH     the runbook's form of write; cat PATH: of read; exit: leave");
                yield Brmrctl.OK;
            }
            default -> ctl.command(words);
        };
    }

    private int echo(List<String> words) {
        int redirect = words.indexOf(">");
        if (redirect < 0 || redirect != words.size() - 2) {
            ctl.err().println("brmrctl: echo needs the form: echo VALUE > PATH");
            return Brmrctl.USAGE;
        }
        List<String> values = words.subList(1, redirect);
        if (!values.isEmpty() && values.getFirst().equals("-n")) {
            values = values.subList(1, values.size());
        }
        return ctl.write(words.getLast(), String.join(" ", values));
    }

    private int cat(List<String> words) {
        if (words.size() < 2) {
            ctl.err().println("brmrctl: cat needs a path");
            return Brmrctl.USAGE;
        }
        int result = Brmrctl.OK;
        for (String path : words.subList(1, words.size())) {
            int code = ctl.command(List.of("read", path));
            if (code != Brmrctl.OK) {
                result = code;
            }
        }
        return result;
    }
}
