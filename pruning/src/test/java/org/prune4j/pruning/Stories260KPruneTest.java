package org.prune4j.pruning;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.prune4j.io.SharedData;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;

/**
 * The acceptance numbers on a real checkpoint: stories260K calibrated on the first 32 windows of 128 tokens
 * of wikitext2-valid (whole file, BOS once), evaluated on the first 64 windows of 128 tokens of wikitext2-test.
 */
class Stories260KPruneTest {
    static Path dir;
    static int[][] calib, eval;
    static final Kernels K = new VectorKernels(2);

    @BeforeAll
    static void data() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        dir = SharedData.resolve("models/stories260K").orElseThrow();
        Tokenizer tok = Tokenizers.load(dir);
        Path valid = SharedData.resolve("data/text/wikitext2-valid.txt").orElseThrow();
        Path test = SharedData.resolve("data/text/wikitext2-test.txt").orElseThrow();
        calib = Windows.first(TokenData.fromText(valid, tok, null, true), 32, 128);
        eval = Windows.first(TokenData.fromText(test, tok, null, true), 64, 128);
    }

    static double ppl(String method, Sparsity s) throws Exception {
        ModelConfig cfg = ModelConfig.read(dir);
        try (SafeTensors st = SafeTensors.open(dir)) {
            TensorSink.InMemory sink = new TensorSink.InMemory();
            SequentialPruner.Result r = SequentialPruner.run(cfg, TensorSource.of(st), calib,
                    new SequentialPruner.Options(Methods.create(method, false, K, 2), SparsityPlan.uniform(s), K, 0, null), sink);
            LlamaModel m = LlamaModel.fromTensors(cfg, sink.tensors(), K);
            double ppl = Perplexity.evaluate(m, eval, 16, null).ppl();
            System.out.printf("%-10s %-5s sparsity %.4f ppl %.3f (%.2f s)%n", method, s.label(), r.sparsity(), ppl, r.seconds());
            return ppl;
        }
    }

    @Test
    void wandaBeatsMagnitudeAndSparseGptIsCloseToWandaAtHalf() throws Exception {
        Sparsity half = new Sparsity.Unstructured(0.5);
        double dense = ppl("magnitude", new Sparsity.Unstructured(0));
        double mag = ppl("magnitude", half), wanda = ppl("wanda", half), sgpt = ppl("sparsegpt", half);
        double mag24 = ppl("magnitude", new Sparsity.NOfM(2, 4)), wanda24 = ppl("wanda", new Sparsity.NOfM(2, 4)), sgpt24 = ppl("sparsegpt", new Sparsity.NOfM(2, 4));
        System.out.printf("dense %.3f%n", dense);
        assertTrue(wanda < 0.8 * mag, "wanda " + wanda + " vs magnitude " + mag);
        assertTrue(sgpt < 1.10 * wanda, "sparsegpt " + sgpt + " vs wanda " + wanda);
    }
}
