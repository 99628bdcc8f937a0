package org.prune4j.transformer;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.io.SharedData;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;

/**
 * The four tiny checkpoints against PyTorch (golden.safetensors: Hugging Face LlamaForCausalLM / Qwen2ForCausalLM
 * in float32): logits, the mean next-token loss and the gradient of that loss for every parameter.
 *
 * <p>Tolerances are the issue's: logits within 1e-4 of the largest |logit| (F32 sums of up to a few hundred terms
 * per layer agree to ~1e-6 relative; 1e-4 catches any semantic difference such as a wrong RoPE pairing, a wrong
 * kv-head grouping or a missing bias, which shift logits by O(1e-2) or more); loss within 1e-5 absolute; each
 * gradient within 1e-3 of its own largest entry.
 */
class GoldenTest {
    static final String[] MODELS = {"tiny-mha", "tiny-gqa", "tiny-mqa-tied", "tiny-qkvbias-bf16"};

    static Path model(String name) {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        return SharedData.root().get().resolve("models").resolve(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-mha", "tiny-gqa", "tiny-mqa-tied", "tiny-qkvbias-bf16"})
    void logitsLossAndGradientsMatchPyTorch(String name) throws Exception {
        for (Kernels k : new Kernels[] {ScalarKernels.INSTANCE, new VectorKernels(2)}) {
            Path dir = model(name);
            LlamaModel m = LlamaModel.load(dir, k);
            try (SafeTensors golden = SafeTensors.open(dir.resolve("golden.safetensors"))) {
                int[][] tokens = tokens(golden);
                Tensor want = golden.get("logits");

                Tape tape = new Tape(k);
                Var logits = m.logits(tape, tokens, Observer.NONE);
                double logitErr = maxAbsDiff(logits.value(), want) / maxAbs(want);
                assertTrue(logitErr < 1e-4, name + " on " + k.name() + ": logits differ by " + logitErr + " of the largest logit");

                m.zeroGrad();
                tape = new Tape(k);
                Var loss = m.loss(tape, tokens, Observer.NONE);
                float wantLoss = golden.get("loss").getFlat(0);
                assertEquals(wantLoss, loss.value().item(), 1e-5, name + " loss");
                tape.backward(loss);

                double worstGrad = 0;
                for (Map.Entry<String, Var> p : m.parameters().entrySet()) {
                    Tensor g = golden.get("grad." + p.getKey());
                    assertNotNull(p.getValue().grad(), p.getKey() + " received no gradient");
                    double err = maxAbsDiff(p.getValue().grad(), g) / maxAbs(g);
                    worstGrad = Math.max(worstGrad, err);
                    assertTrue(err < 1e-3, name + " on " + k.name() + ": gradient of " + p.getKey() + " differs by " + err + " of its largest entry");
                }
                System.out.printf("%s on %s: logits %.2e of max, loss %.2e, worst gradient %.2e of its max%n",
                        name, k.name(), logitErr, Math.abs(loss.value().item() - wantLoss), worstGrad);
                assertEquals(golden.names().stream().filter(n -> n.startsWith("grad.")).count(), m.parameters().size(), "every golden gradient is checked");
            }
        }
    }

    static int[][] tokens(SafeTensors golden) throws Exception {
        long[] ids = golden.getLongs("tokens");
        int[] shape = golden.info("tokens").intShape();
        int[][] out = new int[shape[0]][shape[1]];
        for (int i = 0; i < shape[0]; i++) for (int j = 0; j < shape[1]; j++) out[i][j] = (int) ids[i * shape[1] + j];
        return out;
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        assertArrayEquals(a.shape(), b.shape());
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs((double) x[i] - y[i]));
        return m;
    }

    static double maxAbs(Tensor a) {
        double m = 0;
        for (float v : a.toFloatArray()) m = Math.max(m, Math.abs(v));
        return m;
    }
}
