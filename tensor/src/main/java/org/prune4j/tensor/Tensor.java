package org.prune4j.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * An n-dimensional view (shape, element strides, offset) over a {@link Storage}. Views (reshape,
 * transpose, permute, narrow, select, expand) share storage and never copy; {@link #contiguous()} copies
 * only when the layout is not already row-major. Computation lives in {@link Kernels}, not here.
 */
public final class Tensor {
    private final Storage storage;
    private final int[] shape;
    private final long[] strides;
    private final long offset;

    /** A view; checks that every reachable element lies inside the storage. */
    public Tensor(Storage storage, int[] shape, long[] strides, long offset) {
        if (shape.length != strides.length)
            throw new ShapeException("shape " + Shapes.str(shape) + " and strides " + Arrays.toString(strides) + " differ in rank");
        for (int d : shape) if (d < 0) throw new ShapeException("negative dim in shape " + Shapes.str(shape));
        this.storage = storage;
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
        if (Shapes.numel(shape) > 0) {
            long lo = offset, hi = offset;
            for (int i = 0; i < shape.length; i++) {
                long span = (long) (shape[i] - 1) * strides[i];
                if (span < 0) lo += span; else hi += span;
            }
            if (lo < 0 || hi >= storage.size())
                throw new ShapeException("view of shape " + Shapes.str(shape) + " strides " + Arrays.toString(strides) + " offset " + offset
                        + " reaches elements [" + lo + ", " + hi + "] outside a storage of " + storage.size());
        }
    }

    // ------------------------------------------------------------------ factories

    /** Wraps {@code data} (no copy) as a row-major tensor of {@code shape}. */
    public static Tensor of(float[] data, int... shape) {
        if (Shapes.numel(shape) != data.length)
            throw new ShapeException("array of " + data.length + " elements cannot have shape " + Shapes.str(shape));
        return new Tensor(new ArrayStorage(data), shape, Shapes.contiguousStrides(shape), 0);
    }

    /** Row-major view of the whole storage. */
    public static Tensor of(Storage storage, int... shape) {
        if (Shapes.numel(shape) != storage.size())
            throw new ShapeException("storage of " + storage.size() + " elements cannot have shape " + Shapes.str(shape));
        return new Tensor(storage, shape, Shapes.contiguousStrides(shape), 0);
    }

    /** A zero-filled F32 tensor on the heap. */
    public static Tensor zeros(int... shape) {
        return of(new float[Shapes.checkedArrayLength(shape)], shape);
    }

    public static Tensor full(float value, int... shape) {
        float[] d = new float[Shapes.checkedArrayLength(shape)];
        Arrays.fill(d, value);
        return of(d, shape);
    }

    /** A 0-dim tensor holding one value. */
    public static Tensor scalar(float value) {
        return of(new float[] {value});
    }

    /** A zeroed tensor in off-heap memory of {@code dtype} (for BF16/F16 buffers and checkpoint writing). */
    public static Tensor allocate(Arena arena, DType dtype, int... shape) {
        return of(SegmentStorage.allocate(arena, dtype, Shapes.numel(shape)), shape);
    }

    /** Standard normal values times {@code std}, from a seeded generator (Box-Muller), for tests and init. */
    public static Tensor randn(long seed, float std, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[Shapes.checkedArrayLength(shape)];
        for (int i = 0; i < d.length; i += 2) {
            double u1 = 1.0 - r.nextDouble(), u2 = r.nextDouble();
            double rad = Math.sqrt(-2 * Math.log(u1));
            d[i] = (float) (std * rad * Math.cos(2 * Math.PI * u2));
            if (i + 1 < d.length) d[i + 1] = (float) (std * rad * Math.sin(2 * Math.PI * u2));
        }
        return of(d, shape);
    }

    /** Uniform values in [lo, hi) from a seeded generator. */
    public static Tensor uniform(long seed, float lo, float hi, int... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = new float[Shapes.checkedArrayLength(shape)];
        for (int i = 0; i < d.length; i++) d[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return of(d, shape);
    }

    // ------------------------------------------------------------------ layout

    public Storage storage() { return storage; }
    public DType dtype() { return storage.dtype(); }
    public int[] shape() { return shape.clone(); }
    public long[] strides() { return strides.clone(); }
    public long offset() { return offset; }
    public int rank() { return shape.length; }
    public long numel() { return Shapes.numel(shape); }

    /** Size of dim {@code d} (negative counts from the end). */
    public int size(int d) { return shape[Shapes.dim(d, shape)]; }

    /** Element stride of dim {@code d} (negative counts from the end). */
    public long stride(int d) { return strides[Shapes.dim(d, shape)]; }

    /** True when elements are laid out row-major without gaps (size-1 dims may have any stride; empty tensors always are). */
    public boolean isContiguous() {
        if (numel() == 0) return true;
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] == 1) continue;
            if (strides[i] != expect) return false;
            expect *= shape[i];
        }
        return true;
    }

    /** True when this is a contiguous view of a heap float array: fast kernels then index {@link #array()} directly. */
    public boolean isDenseArray() {
        return storage instanceof ArrayStorage && isContiguous();
    }

    /** The backing float array; valid only for {@link #isDenseArray()} tensors, where element i is at {@code offset()+i}. */
    public float[] array() {
        if (!(storage instanceof ArrayStorage(float[] data)))
            throw new IllegalStateException("tensor of shape " + Shapes.str(shape) + " is stored as " + dtype() + " in a memory segment, not a float array");
        return data;
    }

    /** The backing segment when stored off-heap or mapped, else null. */
    public MemorySegment segment() {
        return storage instanceof SegmentStorage(MemorySegment seg, DType ignored) ? seg : null;
    }

    /** Storage index of a logical multi-index. */
    public long offsetOf(int... index) {
        if (index.length != shape.length)
            throw new ShapeException("index " + Arrays.toString(index) + " has rank " + index.length + " but shape " + Shapes.str(shape) + " has rank " + shape.length);
        long o = offset;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i])
                throw new ShapeException("index " + Arrays.toString(index) + " is out of bounds for shape " + Shapes.str(shape));
            o += index[i] * strides[i];
        }
        return o;
    }

    public float get(int... index) { return storage.getFloat(offsetOf(index)); }

    public void set(float value, int... index) { storage.setFloat(offsetOf(index), value); }

    /** Storage index of the element at row-major position {@code flat}. */
    public long offsetOfFlat(long flat) {
        long o = offset;
        for (int i = shape.length - 1; i >= 0; i--) {
            int n = shape[i];
            o += (flat % n) * strides[i];
            flat /= n;
        }
        return o;
    }

    /** Element at row-major position {@code flat}. */
    public float getFlat(long flat) { return storage.getFloat(offsetOfFlat(flat)); }

    /** Scalar value of a one-element tensor. */
    public float item() {
        if (numel() != 1) throw new ShapeException("item() needs one element, shape is " + Shapes.str(shape));
        return storage.getFloat(offset);
    }

    // ------------------------------------------------------------------ views

    /** Same elements under a new shape without copying; -1 infers one dim. Throws if the strides cannot express it. */
    public Tensor view(int... newShape) {
        int[] ns = inferShape(newShape);
        long[] st = viewStrides(ns);
        if (st == null)
            throw new ShapeException("cannot view shape " + Shapes.str(shape) + " with strides " + Arrays.toString(strides) + " as " + Shapes.str(ns) + " without a copy; use reshape");
        return new Tensor(storage, ns, st, offset);
    }

    /** Like {@link #view} but copies when the layout requires it. */
    public Tensor reshape(int... newShape) {
        int[] ns = inferShape(newShape);
        long[] st = viewStrides(ns);
        if (st != null) return new Tensor(storage, ns, st, offset);
        return contiguous().view(ns);
    }

    private int[] inferShape(int[] newShape) {
        int[] ns = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < ns.length; i++) {
            if (ns[i] == -1) {
                if (infer >= 0) throw new ShapeException("only one -1 allowed in " + Shapes.str(newShape) + " (reshaping " + Shapes.str(shape) + ")");
                infer = i;
            } else if (ns[i] < 0) {
                throw new ShapeException("invalid dim " + ns[i] + " in " + Shapes.str(newShape) + " (reshaping " + Shapes.str(shape) + ")");
            } else known *= ns[i];
        }
        long n = numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0)
                throw new ShapeException("cannot reshape " + Shapes.str(shape) + " (" + n + " elements) into " + Shapes.str(newShape));
            ns[infer] = (int) (n / known);
        } else if (known != n) {
            throw new ShapeException("cannot reshape " + Shapes.str(shape) + " (" + n + " elements) into " + Shapes.str(newShape) + " (" + known + " elements)");
        }
        return ns;
    }

    /** Strides for viewing this tensor as {@code ns}, or null if impossible (PyTorch's computeStride rule). */
    private long[] viewStrides(int[] ns) {
        long[] out = new long[ns.length];
        if (numel() == 0) return Shapes.contiguousStrides(ns);
        // walk chunks of old dims that are contiguous with one another
        int viewD = ns.length - 1;
        long chunkBase = strides.length > 0 ? strides[strides.length - 1] : 1;
        long tensorNumel = 1, viewNumel = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBase)) {
                while (viewD >= 0 && (viewNumel < tensorNumel || ns[viewD] == 1)) {
                    out[viewD] = viewNumel * chunkBase;
                    viewNumel *= ns[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0) {
                    chunkBase = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        if (viewD != -1) {
            // remaining leading size-1 dims
            while (viewD >= 0) {
                if (ns[viewD] != 1) return null;
                out[viewD] = 1;
                viewD--;
            }
        }
        return out;
    }

    /** Swaps two dims (a view). */
    public Tensor transpose(int d0, int d1) {
        int a = Shapes.dim(d0, shape), b = Shapes.dim(d1, shape);
        int[] ns = shape.clone();
        long[] st = strides.clone();
        ns[a] = shape[b]; ns[b] = shape[a];
        st[a] = strides[b]; st[b] = strides[a];
        return new Tensor(storage, ns, st, offset);
    }

    /** Transpose of a 2-D tensor, or of the last two dims. */
    public Tensor t() {
        if (shape.length < 2) throw new ShapeException("t() needs at least 2 dims, shape is " + Shapes.str(shape));
        return transpose(-2, -1);
    }

    /** Reorders dims: output dim i is input dim {@code order[i]}. */
    public Tensor permute(int... order) {
        if (order.length != shape.length)
            throw new ShapeException("permute " + Arrays.toString(order) + " does not match rank of shape " + Shapes.str(shape));
        int[] ns = new int[order.length];
        long[] st = new long[order.length];
        boolean[] seen = new boolean[order.length];
        for (int i = 0; i < order.length; i++) {
            int d = Shapes.dim(order[i], shape);
            if (seen[d]) throw new ShapeException("permute " + Arrays.toString(order) + " repeats dim " + d + " of shape " + Shapes.str(shape));
            seen[d] = true;
            ns[i] = shape[d];
            st[i] = strides[d];
        }
        return new Tensor(storage, ns, st, offset);
    }

    /** Elements {@code start .. start+length-1} of dim {@code dim} (a view). */
    public Tensor narrow(int dim, int start, int length) {
        int d = Shapes.dim(dim, shape);
        if (start < 0 || length < 0 || start + length > shape[d])
            throw new ShapeException("narrow(dim " + dim + ", start " + start + ", length " + length + ") is out of range for shape " + Shapes.str(shape));
        int[] ns = shape.clone();
        ns[d] = length;
        return new Tensor(storage, ns, strides, length == 0 ? offset : offset + start * strides[d]);
    }

    /** Python-style slice {@code [start:end:step]} along {@code dim} (step > 0; a view). */
    public Tensor slice(int dim, int start, int end, int step) {
        int d = Shapes.dim(dim, shape);
        if (step <= 0) throw new ShapeException("slice step must be positive, got " + step + " for shape " + Shapes.str(shape));
        if (start < 0 || end > shape[d] || start > end)
            throw new ShapeException("slice [" + start + ":" + end + "] along dim " + dim + " is out of range for shape " + Shapes.str(shape));
        int n = (end - start + step - 1) / step;
        int[] ns = shape.clone();
        long[] st = strides.clone();
        ns[d] = n;
        st[d] = strides[d] * step;
        return new Tensor(storage, ns, st, n == 0 ? offset : offset + start * strides[d]);
    }

    /** Index {@code index} of dim {@code dim}, dropping that dim (a view). */
    public Tensor select(int dim, int index) {
        int d = Shapes.dim(dim, shape);
        if (index < 0 || index >= shape[d])
            throw new ShapeException("select index " + index + " is out of range for dim " + dim + " of shape " + Shapes.str(shape));
        int[] ns = new int[shape.length - 1];
        long[] st = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i == d) continue;
            ns[j] = shape[i];
            st[j++] = strides[i];
        }
        return new Tensor(storage, ns, st, offset + index * strides[d]);
    }

    /** Inserts a size-1 dim at {@code dim} (0..rank). */
    public Tensor unsqueeze(int dim) {
        int r = shape.length;
        int d = dim < 0 ? dim + r + 1 : dim;
        if (d < 0 || d > r) throw new ShapeException("unsqueeze dim " + dim + " is out of range for shape " + Shapes.str(shape));
        int[] ns = new int[r + 1];
        long[] st = new long[r + 1];
        for (int i = 0, j = 0; i <= r; i++) {
            if (i == d) {
                ns[i] = 1;
                st[i] = (d < r ? strides[d] * shape[d] : 1);
            } else {
                ns[i] = shape[j];
                st[i] = strides[j++];
            }
        }
        return new Tensor(storage, ns, st, offset);
    }

    /** Removes dim {@code dim}, which must have size 1. */
    public Tensor squeeze(int dim) {
        int d = Shapes.dim(dim, shape);
        if (shape[d] != 1) throw new ShapeException("cannot squeeze dim " + dim + " of size " + shape[d] + " in shape " + Shapes.str(shape));
        return select(d, 0);
    }

    /** Broadcasts size-1 dims (stride 0) and prepends leading dims; -1 keeps a dim. A view. */
    public Tensor expand(int... newShape) {
        int r = newShape.length;
        if (r < shape.length) throw new ShapeException("cannot expand shape " + Shapes.str(shape) + " to fewer dims " + Shapes.str(newShape));
        int[] ns = new int[r];
        long[] st = new long[r];
        for (int i = 0; i < r; i++) {
            int j = i - (r - shape.length);
            int want = newShape[i];
            if (j < 0) {
                if (want < 0) throw new ShapeException("cannot expand shape " + Shapes.str(shape) + " to " + Shapes.str(newShape) + ": -1 in a new leading dim");
                ns[i] = want;
                st[i] = 0;
            } else if (want == -1 || want == shape[j]) {
                ns[i] = shape[j];
                st[i] = strides[j];
            } else if (shape[j] == 1 && want >= 0) {
                ns[i] = want;
                st[i] = 0;
            } else {
                throw new ShapeException("cannot expand shape " + Shapes.str(shape) + " to " + Shapes.str(newShape) + " (dim " + i + ": " + shape[j] + " vs " + want + ")");
            }
        }
        return new Tensor(storage, ns, st, offset);
    }

    // ------------------------------------------------------------------ copies

    /** This tensor when already row-major, else a row-major F32 copy. Keeps BF16/F16/mapped storage when contiguous. */
    public Tensor contiguous() {
        return isContiguous() ? this : copy();
    }

    /** A fresh row-major F32 heap copy (dtype converted to float). */
    public Tensor copy() {
        float[] d = new float[Shapes.checkedArrayLength(shape)];
        copyTo(d, 0);
        return of(d, shape);
    }

    /** A contiguous F32 heap tensor with these values: this one when it already is, else a copy. */
    public Tensor toF32() {
        return isDenseArray() ? this : copy();
    }

    /** Copies elements in row-major order into {@code dst} starting at {@code dstOffset}. */
    public void copyTo(float[] dst, int dstOffset) {
        if (numel() == 0) return;
        if (isDenseArray()) {
            System.arraycopy(array(), (int) offset, dst, dstOffset, (int) numel());
            return;
        }
        if (isContiguous() && numel() <= Integer.MAX_VALUE) { // one run: a contiguous BF16/F16/F32 segment
            Strided.load(storage, offset, 1, (int) numel(), dst, dstOffset);
            return;
        }
        int last = shape.length - 1; // rank >= 1 here: a rank-0 tensor is contiguous
        int inner = shape[last];
        long innerStride = strides[last];
        int[] idx = new int[shape.length];
        long base = offset, n = numel();
        int p = dstOffset;
        for (long done = 0; done < n; done += inner, p += inner) {
            Strided.load(storage, base, innerStride, inner, dst, p);
            base = nextRow(idx, base, last);
        }
    }

    /** Advances the outer index {@code idx} (an odometer over dims 0..last-1) and returns the next row's storage offset. */
    private long nextRow(int[] idx, long base, int last) {
        for (int d = last - 1; d >= 0; d--) {
            idx[d]++;
            base += strides[d];
            if (idx[d] < shape[d]) break;
            base -= (long) idx[d] * strides[d];
            idx[d] = 0;
        }
        return base;
    }

    /** Row-major copy of the values as a new float array. */
    public float[] toFloatArray() {
        float[] d = new float[Shapes.checkedArrayLength(shape)];
        copyTo(d, 0);
        return d;
    }

    /** Writes {@code src}'s values into this view elementwise (shapes equal; src may be any dtype or layout, even overlap this). */
    public void copyFrom(Tensor src) {
        Shapes.requireSame("copyFrom", shape, src.shape);
        if (!storage.writable()) throw new IllegalStateException("tensor of shape " + Shapes.str(shape) + " is read-only");
        requireNoBroadcast("copyFrom");
        if (numel() == 0) return;
        float[] vals = src.toFloatArray(); // a copy first, so overlapping src and dst read the old values
        if (isContiguous()) {
            Strided.store(storage, offset, 1, vals.length, vals, 0);
            return;
        }
        int last = shape.length - 1;
        int inner = shape[last];
        int[] idx = new int[shape.length];
        long base = offset;
        for (int p = 0; p < vals.length; p += inner) {
            Strided.store(storage, base, strides[last], inner, vals, p);
            base = nextRow(idx, base, last);
        }
    }

    /**
     * Throws when this view reaches one storage element through several indices (a stride-0 broadcast dim),
     * where an in-place write would be ill-defined; PyTorch refuses the same.
     */
    public void requireNoBroadcast(String op) {
        for (int i = 0; i < shape.length; i++)
            if (shape[i] > 1 && strides[i] == 0)
                throw new ShapeException(op + ": cannot write into a broadcast (expanded) view of shape " + Shapes.str(shape)
                        + " with strides " + Arrays.toString(strides));
    }

    /** Sets every element of this view to {@code value}. */
    public void fill(float value) {
        if (numel() == 0) return;
        if (isDenseArray()) {
            Arrays.fill(array(), (int) offset, (int) (offset + numel()), value);
            return;
        }
        long n = numel();
        for (long i = 0; i < n; i++) storage.setFloat(offsetOfFlat(i), value);
    }

    /** A contiguous copy stored as {@code dtype} in {@code arena} (rounding to nearest even for BF16/F16). */
    public Tensor to(DType dtype, Arena arena) {
        Tensor out = allocate(arena, dtype, shape);
        out.copyFrom(this);
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Tensor").append(Shapes.str(shape)).append(' ').append(dtype());
        long n = numel();
        if (n <= 16) {
            sb.append(' ').append(Arrays.toString(toFloatArray()));
        }
        return sb.toString();
    }
}
