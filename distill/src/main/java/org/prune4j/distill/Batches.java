package org.prune4j.distill;

import java.util.Arrays;
import java.util.Locale;
import org.prune4j.io.data.Windows;

/**
 * Which windows of the token stream each micro-batch reads. The stream is cut into non-overlapping windows of
 * {@code seqLen} tokens, W = tokens / seqLen of them. Micro-batch number m (counting every micro-batch of every
 * step: m = step * gradAccum + micro) of B windows is
 * <ul>
 * <li>{@code FIRST}: windows [mB, (m+1)B) of the file, in order, each index taken mod W (wrapping around);</li>
 * <li>{@code RANDOM}: B windows starting anywhere (may overlap), drawn with SplittableRandom(seed * 1,000,003 + m).</li>
 * </ul>
 * A batch depends on nothing but m, so a resumed run reads exactly what an uninterrupted one would.
 */
public final class Batches {
    /** How windows are chosen. */
    public enum Sampling {
        FIRST, RANDOM;

        public static Sampling parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--data-sampling must be first or random, got '" + s + "'");
            }
        }
    }

    private final int[] tokens;
    private final int batch, seqLen;
    private final Sampling sampling;
    private final long seed;
    private final String source;

    /** Batches of {@code batch} windows of {@code seqLen} tokens from {@code tokens} (named {@code source} in errors). */
    public Batches(int[] tokens, int batch, int seqLen, Sampling sampling, long seed, String source) {
        if (batch < 1 || seqLen < 2) throw new IllegalArgumentException("need --batch >= 1 and --seq-len >= 2; got " + batch + ", " + seqLen);
        if (tokens.length < seqLen)
            throw new IllegalArgumentException(source + ": has " + tokens.length + " tokens, too few for one window of " + seqLen);
        this.tokens = tokens;
        this.batch = batch;
        this.seqLen = seqLen;
        this.sampling = sampling;
        this.seed = seed;
        this.source = source;
    }

    public int batch() { return batch; }
    public int seqLen() { return seqLen; }
    public Sampling sampling() { return sampling; }

    /** Number of whole windows in the stream. */
    public int windows() { return tokens.length / seqLen; }

    /** Micro-batch m [batch][seqLen]. */
    public int[][] get(long m) {
        if (sampling == Sampling.RANDOM) return Windows.random(tokens, batch, seqLen, seed * 1_000_003L + m, source);
        int w = windows();
        int[][] out = new int[batch][];
        for (int i = 0; i < batch; i++) {
            int idx = (int) Math.floorMod(m * batch + i, (long) w);
            out[i] = Arrays.copyOfRange(tokens, idx * seqLen, (idx + 1) * seqLen);
        }
        return out;
    }

    /** A fingerprint of the stream and the sampling, so a checkpoint is only resumed on the same data. */
    long fingerprint() {
        long h = 0xcbf29ce484222325L;
        for (int t : tokens) h = (h ^ t) * 0x100000001b3L;
        return h ^ ((long) batch << 40) ^ ((long) seqLen << 20) ^ sampling.ordinal() ^ (sampling == Sampling.RANDOM ? seed * 31 : 0);
    }
}
