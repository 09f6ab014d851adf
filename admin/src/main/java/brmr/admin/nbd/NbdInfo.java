package brmr.admin.nbd;

/** One NBD_REP_INFO item the server sends in reply to NBD_OPT_INFO or NBD_OPT_GO. */
sealed interface NbdInfo {
    /** Size and transmission flags; the only item a server must always send. */
    record Export(long size, int transmissionFlags) implements NbdInfo {
    }

    record BlockSize(int minimum, int preferred, int maximum) implements NbdInfo {
    }

    record Name(String name) implements NbdInfo {
    }

    record Description(String description) implements NbdInfo {
    }

    /** An item type this codec does not know, kept as raw payload. */
    record Other(int type, byte[] payload) implements NbdInfo {
    }
}
