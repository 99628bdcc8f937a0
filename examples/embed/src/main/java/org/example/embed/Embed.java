package org.example.embed;

import java.nio.file.Path;
import org.prune4j.api.Distill;
import org.prune4j.api.DistillOptions;
import org.prune4j.api.EvalOptions;
import org.prune4j.api.Evaluate;
import org.prune4j.api.Model;
import org.prune4j.api.ProgressListener;
import org.prune4j.api.Prune;
import org.prune4j.api.PruneOptions;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.VectorKernels;

/**
 * Load a model, prune it to 50% with Wanda (written to {@code out} atomically), evaluate dense and pruned, then
 * distill the pruned model from the dense one for a few steps (its zeros kept; written to {@code out-kd}).
 */
public final class Embed {
    public static void main(String[] args) {
        Path model = Path.of(args[0]), calib = Path.of(args[1]), text = Path.of(args[2]), out = Path.of(args[3]);
        try (Kernels k = new VectorKernels(Runtime.getRuntime().availableProcessors())) {
            EvalOptions eval = new EvalOptions(text, null, 128, 16, 4);
            double dense = Evaluate.run(Model.load(model, k), eval, ProgressListener.NONE).ppl();

            PruneOptions wanda = PruneOptions.builder(model, "wanda", out).sparsity(0.5).calib(calib).calibSamples(16).seqLen(128).force(true).build();
            Prune.Result r = Prune.unstructured(wanda, k, new ProgressListener() {
                @Override public void message(String line) { System.err.println(line); }
            });

            Model pruned = Model.load(out, k);
            double ppl = Evaluate.run(pruned, eval, ProgressListener.NONE).ppl();
            System.out.printf("wanda 50%%: %.2f%% of linear weights zero, perplexity %.2f (dense %.2f)%n", 100 * r.result().sparsity(), ppl, dense);

            Path recovered = out.resolveSibling(out.getFileName() + "-kd");
            DistillOptions kd = DistillOptions.builder(out, calib, recovered).teacher(model).steps(4).batch(4).seqLen(128).force(true).build();
            Distill.Result d = Distill.run(kd, k, ProgressListener.NONE);
            double after = Evaluate.run(Model.load(recovered, k), eval, ProgressListener.NONE).ppl();
            System.out.printf("distilled %d steps (loss %.3f -> %.3f): perplexity %.2f%n", d.steps(), d.firstLoss(), d.finalLoss(), after);
        }
    }
}
