package brmr.admin.client;

import brmr.admin.nbd.NbdExport;
import brmr.rmr.client.ClientPool;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The block device of a mapped pool, named {@code brmrN} as upstream's, as the NBD server exports it
 * under that name and the pool's: IO goes to the pool's legs.
 */
final class MappedDevice implements NbdExport {
    /** Zeroes go out in pieces so no leg has to take one huge buffer. */
    private static final int ZEROES_PIECE = 4 << 20;
    /** A trim costs a leg no buffer unless its store cannot discard, so its pieces are larger. */
    private static final int TRIM_PIECE = 64 << 20;

    private final String name;
    private final ClientPool pool;
    private final long size;
    private final int sectorSize;

    MappedDevice(String name, ClientPool pool, long size, int sectorSize) {
        this.name = name;
        this.pool = pool;
        this.size = size;
        this.sectorSize = sectorSize;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> aliases() {
        return List.of(pool.name());
    }

    ClientPool pool() {
        return pool;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public int minimumBlockSize() {
        return sectorSize;
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public void read(long offset, MemorySegment destination) throws IOException {
        pool.read(offset, destination);
    }

    @Override
    public void write(long offset, MemorySegment source, boolean fua) throws IOException {
        pool.write(offset, source);
        if (fua) {
            pool.flush();
        }
    }

    @Override
    public void flush() throws IOException {
        pool.flush();
    }

    @Override
    public boolean canTrim() {
        return true;
    }

    @Override
    public void trim(long offset, long length) throws IOException {
        inPieces(offset, length, TRIM_PIECE, pool::trim);
    }

    @Override
    public boolean canWriteZeroes() {
        return true;
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        inPieces(offset, length, ZEROES_PIECE, pool::writeZeroes);
    }

    /** One request of the pool over a range. */
    @FunctionalInterface
    private interface RangeRequest {
        void run(long offset, int length) throws IOException;
    }

    private static void inPieces(long offset, long length, int piece, RangeRequest request) throws IOException {
        for (long done = 0; done < length; done += piece) {
            request.run(offset + done, (int) Math.min(piece, length - done));
        }
    }
}
