package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** VectorKernels' elementwise ops against the oracle, over random shapes, broadcasts and views. */
class ElementwiseKernelTest {
    static final Kernels S = ScalarKernels.INSTANCE;
    static final Kernels V = new VectorKernels(2);
    static final Kernels V3 = new VectorKernels(3);

    /** Two shapes that broadcast together: a random output shape with leading dims dropped and dims set to 1 at random. */
    static int[][] broadcastPair(SplittableRandom r, int maxDim) {
        int[] out = RandomViews.shape(r, 0, 4, maxDim, 0.05);
        return new int[][] {broadcastable(r, out), broadcastable(r, out)};
    }

    static int[] broadcastable(SplittableRandom r, int[] out) {
        int drop = r.nextInt(3) == 0 ? r.nextInt(out.length + 1) : 0;
        int[] s = Arrays.copyOfRange(out, drop, out.length);
        for (int i = 0; i < s.length; i++) if (r.nextInt(4) == 0) s[i] = 1;
        return s;
    }

    // ---------------------------------------------------------------- binary and scalar ops: IEEE arithmetic, bit-exact

    @Test
    void binaryEqualsOracleBitForBitOnRandomBroadcastViews() {
        qt().withExamples(150).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[][] s = broadcastPair(r, 40);
            Tensor a = RandomViews.random(r, s[0]), b = RandomViews.random(r, s[1]);
            for (BinaryOp op : BinaryOp.values()) {
                String what = op + " of " + RandomViews.describe(a) + " and " + RandomViews.describe(b);
                Close.exact(S.binary(op, a, b), V.binary(op, a, b), what);
            }
        });
    }

    @Test
    void binaryFastPathsOnLargeTensorsSplitAcrossThreads() {
        SplittableRandom r = new SplittableRandom(7);
        Tensor x = Tensor.randn(1, 1f, 301, 257);
        Tensor[] others = {
                Tensor.randn(2, 1f, 301, 257),                   // same shape
                Tensor.randn(3, 1f, 257),                        // row broadcast [.., C] + [C]
                Tensor.randn(4, 1f, 301, 1),                     // column broadcast
                Tensor.scalar(1.5f),                             // scalar
                Tensor.randn(5, 1f, 257, 301).t(),               // transposed operand
                RandomViews.random(r, 301, 257),                 // any view
        };
        for (Tensor y : others)
            for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.SUB, BinaryOp.DIV, BinaryOp.MAX}) {
                Tensor xy = S.binary(op, x, y), yx = S.binary(op, y, x);
                for (Kernels k : new Kernels[] {V, V3}) {
                    Close.exact(xy, k.binary(op, x, y), op + " " + k.name() + " with " + RandomViews.describe(y));
                    Close.exact(yx, k.binary(op, y, x), op + " " + k.name() + " reversed with " + RandomViews.describe(y));
                }
            }
        // an outer product: [N, 1] op [1, M], both broadcast
        Tensor col = Tensor.randn(6, 1f, 513, 1), row = Tensor.randn(7, 1f, 1, 130);
        Close.exact(S.binary(BinaryOp.SUB, col, row), V.binary(BinaryOp.SUB, col, row), "outer product");
    }

    @Test
    void scalarOpEqualsOracleBitForBit() {
        qt().withExamples(80).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            Tensor a = RandomViews.random(r, RandomViews.shape(r, 0, 4, 40, 0.05));
            float s = (float) r.nextGaussian() * 3;
            for (BinaryOp op : BinaryOp.values())
                Close.exact(S.scalarOp(op, a, s), V.scalarOp(op, a, s), op + " " + s + " on " + RandomViews.describe(a));
        });
        Tensor big = Tensor.randn(8, 1f, 100_003);
        for (BinaryOp op : BinaryOp.values()) Close.exact(S.scalarOp(op, big, 0.75f), V3.scalarOp(op, big, 0.75f), op + " large");
    }

    @Test
    void binaryArithmeticKeepsIeeeSpecialValues() {
        float[] v = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE, -2.5f};
        int n = v.length;
        float[] a = new float[n * n], b = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                a[i * n + j] = v[i];
                b[i * n + j] = v[j];
            }
        // 100 pairs: vector part and scalar tail both see every pair across the two calls' layouts
        Tensor ta = Tensor.of(a, n * n), tb = Tensor.of(b, n * n);
        for (BinaryOp op : BinaryOp.values()) Close.exact(S.binary(op, ta, tb), V.binary(op, ta, tb), op + " on special values");
        // max/min follow Math.max/min: NaN wins, +0 is above -0
        assertEquals(0f, V.binary(BinaryOp.MAX, Tensor.of(new float[] {-0f}, 1), Tensor.of(new float[] {0f}, 1)).item());
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(V.binary(BinaryOp.MIN, Tensor.of(new float[] {0f}, 1), Tensor.of(new float[] {-0f}, 1)).item()));
    }

    @Test
    void broadcastShapeIsCommutativeAndMatchesShapesBroadcast() {
        qt().withExamples(100).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[][] s = broadcastPair(r, 9);
            Tensor a = RandomViews.random(r, s[0]), b = RandomViews.random(r, s[1]);
            Tensor ab = V.add(a, b), ba = V.add(b, a);
            assertArrayEquals(Shapes.broadcast(s[0], s[1]), ab.shape());
            Close.exact(ab, ba, "a + b vs b + a");
            Close.exact(V.mul(a, b), V.mul(b, a), "a * b vs b * a");
            Close.exact(V.binary(BinaryOp.MAX, a, b), V.binary(BinaryOp.MAX, b, a), "max commutes");
        });
    }

    // ---------------------------------------------------------------- unary ops

    /**
     * Allowed error of op at input x, in ulps of the oracle's (correctly rounded double) result. Each bound is
     * the op's rounding budget: u = 2^-24 is one rounding's relative error, and a relative error e is at most
     * e/u ulp. The oracle itself is off by up to 0.5 ulp.
     */
    static double ulpBudget(UnaryOp op, float x) {
        return switch (op) {
            // IEEE-exact in both backends (sqrt is correctly rounded in float and in double-then-float)
            case NEG, ABS, SQUARE, SQRT, RELU, RECIPROCAL -> 0;
            // sqrt then 1/s: two roundings (2u relative = 2 ulp) + the oracle's 0.5
            case RSQRT -> 2.5;
            // SVML / Math.exp, log, tanh are < 1 ulp; + 0.5 for the oracle
            case EXP, LOG, TANH -> 1.5;
            // a sigmoid(z) = a/(1 + e) (z >= 0) or (a e)/(1 + e) (z < 0), e = e^-|z|: exp (< 1 ulp, i.e. 2u relative),
            // a e (1u), 1 + e (1u, plus e's 2u damped by e/(1+e) <= 1), one division (1u): 6u = 6 ulp, + 0.5 for the
            // oracle. Below z = -80, a e = (a h) h with h = e^(z/2): two exps and two products, 9u.
            case SIGMOID, SILU -> x < -80 ? 9.5 : 6.5;
            // x sigmoid(2u): the argument u = sqrt(2/pi)(x + 0.044715 x^3) carries 3 roundings (3u relative), which
            // e^-2|u| turns into an absolute exponent error 6|u|u, damped by 1 - sigmoid(2|u|) where the sigmoid is near 1
            // (x > 0) and undamped in the negative tail (x < 0: relative error 6|u|u); + silu's budget
            case GELU_TANH -> {
                double u = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
                yield (2 * u < -80 ? 9.5 : 6.5) + 6 * Math.abs(u) * (u > 0 ? 1 - 1 / (1 + Math.exp(-2 * u)) : 1);
            }
            // erfc(z) = t e^(-z^2 + P(t)) (Numerical Recipes' fit: 1.2e-7 = 2u relative): t = 1/(1 + z/2) carries 4
            // roundings (z, the fma, the reciprocal, the constant 1/sqrt 2) and enters both as the factor t and
            // through P(t), whose slope |t P'(t)| stays below 2 on [0, 1] (so <= 3 x 4u); two exps (2 ulp), three
            // products (3u), 0.5 x erfc (1u): about 24u in all = 24 ulp at worst. 2 - r (x >= 0) only damps r's error.
            case GELU -> 24;
        };
    }

    static RandomViews.Values valuesFor(UnaryOp op) {
        return switch (op) {
            case LOG, SQRT, RSQRT -> RandomViews.Values.POSITIVE;
            default -> RandomViews.Values.WIDE;
        };
    }

    @Test
    void unaryOpsMatchOracleWithinTheirRoundingBudget() {
        qt().withExamples(40).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 0, 4, 40, 0.05);
            for (UnaryOp op : UnaryOp.values()) {
                Tensor a = RandomViews.random(r, valuesFor(op), shape);
                float[] x = a.toFloatArray();
                Close.ulps(S.unary(op, a), V.unary(op, a), i -> ulpBudget(op, x[i]), op + " of " + RandomViews.describe(a));
            }
        });
    }

    @Test
    void unaryOpsOnDenseRangesAndSpecialValues() {
        // a sweep over [-30, 30] plus the special values, in one long tensor (vector body, masked tail, threads)
        int n = 40_001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -30f + 60f * i / (n - 1);
        for (int i = 0; i < 2000; i++) x[i] = -110f + 0.04f * i; // the far negative tail of the sigmoid family
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE,
                Float.MIN_NORMAL, 1e-30f, -1e-30f, 88.7f, -88.7f, 89f, -104f, 1e20f, -1e20f, 5f, -5f, -9f, -13f, -14f};
        System.arraycopy(special, 0, x, n - special.length, special.length);
        Tensor a = Tensor.of(x, n);
        for (UnaryOp op : UnaryOp.values()) Close.ulps(S.unary(op, a), V.unary(op, a), i -> ulpBudget(op, x[i]), op + " sweep");
        // split across threads: every chunk boundary lands mid-vector
        Tensor big = Tensor.randn(9, 2f, 100_003);
        float[] xb = big.toFloatArray();
        Close.ulps(S.unary(UnaryOp.SILU, big), V3.unary(UnaryOp.SILU, big), i -> ulpBudget(UnaryOp.SILU, xb[i]), "SILU over 3 threads");
    }

    @Test
    void oracleActivationsMatchReferenceValues() {
        // reference values: Python's math.erfc / math.exp in double (0.5 x erfc(-x/sqrt 2); x / (1 + e^-2u); x / (1 + e^-x))
        double[][] ref = {
                {1.0, 0.8413447460685429, 0.8411919906082768, 0.7310585786300049},
                {-1.0, -0.15865525393145707, -0.15880800939172326, -0.2689414213699951},
                {0.5, 0.34573123063700656, 0.34571400982514394, 0.3112296656009273},
                {-3.0, -0.004049694094890287, -0.003637392081773019, -0.14227761953270035},
                {3.0, 2.99595030590511, 2.9963626079182273, 2.8577223804672998},
                {-8.0, -4.9767684594174555e-15, -3.107782937501113e-21, -0.002682801043731825},
                {-10.0, -7.619853024160593e-23, -1.2040923482098023e-37, -0.0004539786870243439}};
        for (double[] row : ref) {
            float x = (float) row[0];
            assertEquals((float) row[1], UnaryOp.GELU.apply(x), "gelu(" + x + ")");
            assertEquals((float) row[2], UnaryOp.GELU_TANH.apply(x), "gelu_tanh(" + x + ")");
            assertEquals((float) row[3], UnaryOp.SILU.apply(x), "silu(" + x + ")");
        }
    }

    @Test
    void erfMatchesReferenceValues() {
        // Python math.erf / math.erfc (C library, < 1 ulp in double)
        double[][] ref = {{0.1, 0.1124629160182849, 0.8875370839817152}, {0.5, 0.5204998778130465, 0.4795001221869535},
                {1.0, 0.8427007929497149, 0.15729920705028513}, {1.9, 0.9927904292352575, 0.0072095707647425325},
                {2.0, 0.9953222650189527, 0.004677734981047265}, {2.5, 0.999593047982555, 0.0004069520174449589},
                {3.0, 0.9999779095030014, 2.2090496998585438e-05}, {4.0, 0.9999999845827421, 1.541725790028002e-08},
                {6.0, 1.0, 2.1519736712498916e-17}, {9.0, 1.0, 4.13703174651381e-37}, {-0.3, -0.3286267594591274, 1.3286267594591274},
                {-2.2, -0.9981371537020182, 1.998137153702018}};
        for (double[] row : ref) {
            // 1e-13 relative: erfc just below 2.5 is 1 - erf, which loses up to 3.4 of 16 digits by cancellation
            assertEquals(row[1], Erf.erf(row[0]), 1e-15 * Math.abs(row[1]), "erf(" + row[0] + ")");
            assertEquals(row[2], Erf.erfc(row[0]), 1e-13 * row[2], "erfc(" + row[0] + ")");
        }
        assertEquals(2.0, Erf.erfc(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, Erf.erfc(Double.POSITIVE_INFINITY));
    }

    // ---------------------------------------------------------------- fused and selection ops

    @Test
    void swigluMatchesOracle() {
        qt().withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 0, 4, 40, 0.05);
            Tensor g = RandomViews.random(r, RandomViews.Values.WIDE, shape), u = RandomViews.random(r, shape);
            // silu's budget + one more product rounding
            float[] x = g.toFloatArray();
            Close.ulps(S.swiglu(g, u), V.swiglu(g, u), i -> ulpBudget(UnaryOp.SILU, x[i]) + 1,
                    "swiglu of " + RandomViews.describe(g) + ", " + RandomViews.describe(u));
        });
        Tensor g = Tensor.randn(1, 2f, 64, 1001), u = Tensor.randn(2, 1f, 64, 1001);
        Close.ulps(S.swiglu(g, u), V3.swiglu(g, u), 7.5, "swiglu large");
    }

    @Test
    void maskedFillAndWhereEqualOracle() {
        qt().withExamples(100).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[][] s = broadcastPair(r, 30);
            int[] full = Shapes.broadcast(s[0], s[1]);
            Tensor a = RandomViews.random(r, full);
            Tensor mask = RandomViews.random(r, RandomViews.Values.SMALL_INTS, s[1]); // 0 in about 1/7 of places
            float value = r.nextBoolean() ? Float.NEGATIVE_INFINITY : -1e9f;
            Close.exact(S.maskedFill(a, mask, value), V.maskedFill(a, mask, value), "maskedFill " + RandomViews.describe(a) + " mask " + RandomViews.describe(mask));
            Tensor b = RandomViews.random(r, s[0]);
            Tensor cond = RandomViews.random(r, RandomViews.Values.SMALL_INTS, broadcastable(r, full));
            Close.exact(S.where(cond, a, b), V.where(cond, a, b), "where " + RandomViews.describe(cond));
        });
        // the attention mask pattern: [B, H, T, S] with a [T, S] mask (large: runs split over threads); NaN counts as true
        Tensor scores = Tensor.randn(3, 1f, 2, 4, 96, 96);
        float[] m = new float[96 * 96];
        for (int i = 0; i < 96; i++) for (int j = 0; j < 96; j++) m[i * 96 + j] = j > i ? (j % 7 == 0 ? Float.NaN : 1) : 0;
        Tensor mask = Tensor.of(m, 96, 96);
        Close.exact(S.maskedFill(scores, mask, Float.NEGATIVE_INFINITY), V3.maskedFill(scores, mask, Float.NEGATIVE_INFINITY), "causal mask");
        Close.exact(S.where(mask, scores, Tensor.scalar(0f)), V3.where(mask, scores, Tensor.scalar(0f)), "where with scalar");
    }

    @Test
    void addInPlaceMatchesOracleOnEveryWritableLayout() {
        qt().withExamples(80).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 0, 4, 30, 0.05);
            Tensor src = RandomViews.random(r, shape);
            Tensor d1 = RandomViews.randomWritable(r, shape);
            Tensor d2 = sameLayoutCopy(d1);
            S.addInPlace(d1, src);
            V.addInPlace(d2, src);
            Close.exact(d1, d2, "addInPlace into " + RandomViews.describe(d1) + " from " + RandomViews.describe(src));
        });
    }

    @Test
    void addInPlaceReadsAnOverlappingSourceBeforeWriting() {
        for (Kernels k : new Kernels[] {S, V}) {
            float[] d = {1, 2, 3, 4, 5};
            Tensor all = Tensor.of(d, 5);
            k.addInPlace(all.narrow(0, 1, 4), all.narrow(0, 0, 4)); // dst[i+1] += old dst[i]
            assertArrayEquals(new float[] {1, 3, 5, 7, 9}, d, k.name());
        }
    }

    @Test
    void addInPlaceRefusesABroadcastDestination() {
        for (Kernels k : new Kernels[] {S, V}) {
            Tensor dst = Tensor.zeros(1, 4).expand(3, 4);
            ShapeException e = assertThrows(ShapeException.class, () -> k.addInPlace(dst, Tensor.zeros(3, 4)));
            assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("broadcast"), e.getMessage());
        }
    }

    /** A copy of t's values laid out with t's exact strides, offset and storage kind (so both backends write the same layout). */
    static Tensor sameLayoutCopy(Tensor t) {
        Storage s = t.storage();
        Storage copy = switch (s) {
            case ArrayStorage(float[] a) -> new ArrayStorage(a.clone());
            case SegmentStorage(var seg, DType dt) -> {
                var c = Arena.ofAuto().allocate(seg.byteSize(), 64);
                c.copyFrom(seg);
                yield new SegmentStorage(c, dt);
            }
        };
        return new Tensor(copy, t.shape(), t.strides(), t.offset());
    }
}
