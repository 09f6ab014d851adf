package brmr.it;

/** Exit code and output of a finished command. */
record CommandResult(int exit, String out, String err) {
    @Override
    public String toString() {
        return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
