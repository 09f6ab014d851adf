package brmr.admin.nbd;

/** An export as agreed with one client: its properties are sampled once and fixed for the connection. */
record NegotiatedExport(NbdExport export, long size, NbdBlockSizes blockSizes, boolean readOnly, boolean trim,
        boolean writeZeroes) {

    static NegotiatedExport of(NbdExport export) {
        boolean readOnly = export.readOnly();
        return new NegotiatedExport(export, export.size(), NbdBlockSizes.of(export), readOnly,
                !readOnly && export.canTrim(), !readOnly && export.canWriteZeroes());
    }

    /** Multi-connection consistency is not promised: each connection flushes only its own writes. */
    int transmissionFlags() {
        int flags = NbdCodec.TX_HAS_FLAGS | NbdCodec.TX_SEND_FLUSH | NbdCodec.TX_SEND_FUA;
        if (readOnly) {
            flags |= NbdCodec.TX_READ_ONLY;
        }
        if (trim) {
            flags |= NbdCodec.TX_SEND_TRIM;
        }
        if (writeZeroes) {
            flags |= NbdCodec.TX_SEND_WRITE_ZEROES;
        }
        return flags;
    }

    NbdInfo.Export exportInfo() {
        return new NbdInfo.Export(size, transmissionFlags());
    }

    NbdInfo.BlockSize blockSizeInfo() {
        return new NbdInfo.BlockSize(blockSizes.minimum(), blockSizes.preferred(), blockSizes.maximum());
    }
}
