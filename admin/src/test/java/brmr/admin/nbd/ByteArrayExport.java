package brmr.admin.nbd;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/** An in-memory export for tests, recording what it was asked to do and letting tests intercept requests. */
final class ByteArrayExport implements NbdExport {
    enum Operation { READ, WRITE, FLUSH, TRIM, WRITE_ZEROES }

    /** Runs before an operation touches the data; throwing fails the request, blocking holds it. */
    @FunctionalInterface
    interface Interceptor {
        void before(Operation operation, long offset, long length) throws IOException;
    }

    record Range(long offset, long length) {
    }

    private final String name;
    private final byte[] data;
    private final int minimumBlockSize;
    private final boolean readOnly;
    private final boolean canTrim;
    private final boolean canWriteZeroes;
    private final AtomicReference<Interceptor> interceptor = new AtomicReference<>((operation, offset, length) -> { });
    private final AtomicInteger completedWrites = new AtomicInteger();
    private final AtomicInteger fuaWrites = new AtomicInteger();
    private final List<Integer> completedWritesAtFlush = new CopyOnWriteArrayList<>();
    private final List<Range> trims = new CopyOnWriteArrayList<>();
    private final List<Range> zeroes = new CopyOnWriteArrayList<>();
    private volatile List<String> aliases = List.of();

    ByteArrayExport(String name, int size) {
        this(name, size, 512, false, true, true);
    }

    ByteArrayExport(String name, int size, int minimumBlockSize, boolean readOnly, boolean canTrim,
            boolean canWriteZeroes) {
        this.name = name;
        this.data = new byte[size];
        this.minimumBlockSize = minimumBlockSize;
        this.readOnly = readOnly;
        this.canTrim = canTrim;
        this.canWriteZeroes = canWriteZeroes;
    }

    ByteArrayExport aliases(String... names) {
        aliases = List.of(names);
        return this;
    }

    @Override
    public List<String> aliases() {
        return aliases;
    }

    void intercept(Interceptor next) {
        interceptor.set(next);
    }

    /** The next {@code operation} that covers {@code offset} fails with an IOException; later ones succeed. */
    void failOnce(Operation operation, long offset) {
        interceptor.set((op, start, length) -> {
            if (op == operation && start <= offset && offset < start + Math.max(length, 1)) {
                interceptor.set((o, s, l) -> { });
                throw new IOException("injected failure of " + op + " at " + offset);
            }
        });
    }

    synchronized byte[] contents() {
        return data.clone();
    }

    synchronized byte[] contents(int offset, int length) {
        return Arrays.copyOfRange(data, offset, offset + length);
    }

    synchronized void fill(int offset, int length, byte value) {
        Arrays.fill(data, offset, offset + length, value);
    }

    synchronized void load(byte[] source) {
        System.arraycopy(source, 0, data, 0, source.length);
    }

    int completedWrites() {
        return completedWrites.get();
    }

    int fuaWrites() {
        return fuaWrites.get();
    }

    /** For each flush, how many writes had completed when it reached the export. */
    List<Integer> completedWritesAtFlush() {
        return List.copyOf(completedWritesAtFlush);
    }

    List<Range> trims() {
        return List.copyOf(trims);
    }

    List<Range> zeroes() {
        return List.copyOf(zeroes);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return data.length;
    }

    @Override
    public int minimumBlockSize() {
        return minimumBlockSize;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void read(long offset, MemorySegment destination) throws IOException {
        interceptor.get().before(Operation.READ, offset, destination.byteSize());
        synchronized (this) {
            MemorySegment.copy(data, Math.toIntExact(offset), destination, ValueLayout.JAVA_BYTE, 0,
                    Math.toIntExact(destination.byteSize()));
        }
    }

    @Override
    public void write(long offset, MemorySegment source, boolean fua) throws IOException {
        interceptor.get().before(Operation.WRITE, offset, source.byteSize());
        synchronized (this) {
            MemorySegment.copy(source, ValueLayout.JAVA_BYTE, 0, data, Math.toIntExact(offset),
                    Math.toIntExact(source.byteSize()));
        }
        if (fua) {
            fuaWrites.incrementAndGet();
        }
        completedWrites.incrementAndGet();
    }

    @Override
    public void flush() throws IOException {
        interceptor.get().before(Operation.FLUSH, 0, 0);
        completedWritesAtFlush.add(completedWrites.get());
    }

    @Override
    public boolean canTrim() {
        return canTrim;
    }

    @Override
    public void trim(long offset, long length) throws IOException {
        interceptor.get().before(Operation.TRIM, offset, length);
        trims.add(new Range(offset, length));
    }

    @Override
    public boolean canWriteZeroes() {
        return canWriteZeroes;
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        interceptor.get().before(Operation.WRITE_ZEROES, offset, length);
        synchronized (this) {
            Arrays.fill(data, Math.toIntExact(offset), Math.toIntExact(offset + length), (byte) 0);
        }
        zeroes.add(new Range(offset, length));
    }
}
