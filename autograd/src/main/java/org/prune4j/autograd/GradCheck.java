package org.prune4j.autograd;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;

/**
 * Checks backward against central differences: the output y = f(inputs) is projected onto a fixed random tensor R,
 * L = sum(y R) accumulated in double, and for each input element dL/dx is compared with
 * (L(x + h) - L(x - h)) / (2h). The projection makes one scalar test every output element's gradient at once.
 *
 * <p>Error budget (what tolerances in tests rest on): truncation O(h^2 f''') plus the F32 rounding of the forward,
 * about ulp(|y| |R|) summed over outputs, divided by 2h. Reported errors are relative to the largest analytic
 * gradient entry of each input, the scale at which an optimizer or pruning score reads it.
 */
public final class GradCheck {
    private GradCheck() {}

    /** The comparison for one input: largest |analytic - numeric| and the largest |analytic| it is measured against. */
    public record Result(String input, double maxAbsError, double maxAbsGrad, int checked) {
        /** maxAbsError / maxAbsGrad (or the absolute error when every gradient entry is zero). */
        public double relError() {
            return maxAbsGrad > 0 ? maxAbsError / maxAbsGrad : maxAbsError;
        }

        @Override
        public String toString() {
            return String.format("%s: max abs err %.3g, max |grad| %.3g, rel %.3g over %d entries", input, maxAbsError, maxAbsGrad, relError(), checked);
        }
    }

    /**
     * Compares analytic and numeric gradients of every input that requires a gradient. Inputs must hold writable
     * F32 heap tensors (they are perturbed in place and restored). At most {@code maxPerInput} entries per input
     * are perturbed (a seeded random sample beyond that).
     */
    public static List<Result> check(Kernels k, Function<Tape, Var> f, List<Var> inputs, float h, long seed, int maxPerInput) {
        Tape tape = new Tape(k);
        Var out = f.apply(tape);
        Tensor r = Tensor.randn(seed, 1f, out.shape());
        for (Var v : inputs) v.zeroGrad();
        tape.backward(out, r);

        List<Result> results = new ArrayList<>();
        SplittableRandom pick = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int vi = 0; vi < inputs.size(); vi++) {
            Var v = inputs.get(vi);
            if (!v.requiresGrad()) continue;
            Tensor x = v.value();
            if (!x.isDenseArray()) throw new IllegalArgumentException("gradient check needs F32 heap inputs; " + v + " is not");
            float[] xa = x.array();
            int base = (int) x.offset(), n = (int) x.numel();
            float[] analytic = v.grad() == null ? new float[n] : v.grad().toFloatArray();
            double maxGrad = 0;
            for (float g : analytic) maxGrad = Math.max(maxGrad, Math.abs(g));
            double maxErr = 0;
            int count = Math.min(n, maxPerInput);
            for (int c = 0; c < count; c++) {
                int i = n <= maxPerInput ? c : pick.nextInt(n);
                float orig = xa[base + i];
                float up = orig + h, down = orig - h;
                xa[base + i] = up;
                double lp = project(k, f, r);
                xa[base + i] = down;
                double lm = project(k, f, r);
                xa[base + i] = orig;
                double numeric = (lp - lm) / ((double) up - down);
                maxErr = Math.max(maxErr, Math.abs(numeric - analytic[i]));
            }
            results.add(new Result(v.name() != null ? v.name() : "input " + vi, maxErr, maxGrad, count));
        }
        return results;
    }

    /** sum(f(inputs) R) in double, without recording. */
    private static double project(Kernels k, Function<Tape, Var> f, Tensor r) {
        Tensor y = f.apply(Tape.inference(k)).value();
        float[] ya = y.toFloatArray(), ra = r.toFloatArray();
        double s = 0;
        for (int i = 0; i < ya.length; i++) s += (double) ya[i] * ra[i];
        return s;
    }
}
