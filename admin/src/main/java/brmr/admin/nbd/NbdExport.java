package brmr.admin.nbd;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A block device served over NBD.
 *
 * <p>The server only calls the data methods with requests that lie inside {@link #size()} and are
 * aligned to {@link #minimumBlockSize()} (a request may end unaligned only at the end of an export
 * whose size is not a multiple of it), never reads or writes more than 32 MiB at once, and never
 * modifies a read-only export. Calls arrive concurrently from several threads, including overlapping
 * ranges when a client sends them. An {@link IOException} fails that one request with {@code EIO}.
 */
public interface NbdExport {
    /** The name clients ask for; also what {@code NBD_OPT_LIST} reports. */
    String name();

    /** Other names clients may ask for, listed too (a device's pool name); an export's own name wins over them. */
    default List<String> aliases() {
        return List.of();
    }

    /** Size in bytes; sampled once when a client connects. */
    long size();

    /** Smallest unit of IO the export accepts: a power of two from 1 to 65536, e.g. 512. */
    int minimumBlockSize();

    boolean readOnly();

    /**
     * Fills all of {@code destination} with the data at {@code offset}. The segment is a native buffer the
     * server reuses once this returns (and once the reply is sent), so the export must not keep it.
     */
    void read(long offset, MemorySegment destination) throws IOException;

    /**
     * Writes all of {@code source} at {@code offset}; with {@code fua} the data must be on stable storage before
     * this returns. The segment is a native buffer the server reuses once this returns, so the export must not
     * keep it.
     */
    void write(long offset, MemorySegment source, boolean fua) throws IOException;

    /** Makes every write that has returned so far durable. */
    void flush() throws IOException;

    boolean canTrim();

    /** Tells the export the range is no longer needed; its contents become unspecified. */
    void trim(long offset, long length) throws IOException;

    boolean canWriteZeroes();

    /** After this returns the range reads as zeroes. */
    void writeZeroes(long offset, long length) throws IOException;
}
