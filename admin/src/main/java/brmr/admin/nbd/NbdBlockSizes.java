package brmr.admin.nbd;

/** The block size constraints advertised for an export, and the alignment check they imply. */
record NbdBlockSizes(int minimum, int preferred, int maximum) {
    /** Largest read or write the server accepts, and so the most it allocates for one request. */
    static final int MAXIMUM_PAYLOAD = 32 * 1024 * 1024;
    /** Minimum block size clients assume when none was negotiated. */
    static final int CONVENTIONAL_MINIMUM = 512;
    private static final int PREFERRED = 4096;
    private static final int LARGEST_MINIMUM = 64 * 1024;

    static NbdBlockSizes of(NbdExport export) {
        int minimum = export.minimumBlockSize();
        if (minimum < 1 || minimum > LARGEST_MINIMUM || Integer.bitCount(minimum) != 1) {
            throw new IllegalArgumentException("export " + export.name() + ": minimum block size " + minimum
                    + " is not a power of two from 1 to " + LARGEST_MINIMUM);
        }
        return new NbdBlockSizes(minimum, Math.max(minimum, PREFERRED), MAXIMUM_PAYLOAD);
    }

    /** True when the range starts on a block boundary and ends on one or at the end of the export. */
    boolean aligned(long offset, long length, long exportSize) {
        return offset % minimum == 0 && (length % minimum == 0 || offset + length == exportSize);
    }
}
