package org.prune4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code eval}: perplexity of a model on a text file, over the first W windows of L tokens. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Perplexity of a model on a text: mean next-token NLL over every predicted position of each window.")
public final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Mixin SparseKernelOptions sparse;

    @Option(names = "--model", required = true, description = "Hugging Face model folder (config.json, *.safetensors, tokenizer).")
    Path model;

    @Option(names = "--text", required = true, description = "UTF-8 text file to evaluate on.")
    Path text;

    @Option(names = "--doc-separator", description = "Split the text into documents at this string; each is encoded on its own with BOS.")
    String docSeparator;

    @Option(names = "--seq-len", required = true, description = "Window length L in tokens (L-1 predictions per window).")
    int seqLen;

    @Option(names = "--windows", defaultValue = "0", description = "Evaluate the first W windows (default: every whole window).")
    int windows;

    @Option(names = "--batch", defaultValue = "1", description = "Windows per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--tokenizer", description = "Tokenizer file or folder (default: the model folder's).")
    Path tokenizer;

    @Override
    public Integer call() throws Exception {
        if (seqLen < 2) throw new UsageException(spec.commandLine(), "--seq-len must be at least 2, got " + seqLen);
        if (windows < 0) throw new UsageException(spec.commandLine(), "--windows must be >= 0, got " + windows);
        if (batch < 1) throw new UsageException(spec.commandLine(), "--batch must be >= 1, got " + batch);
        LlamaModel m = LlamaModel.load(model, device.kernels());
        var sk = sparse.apply(m, common.log(), spec.commandLine());
        device.keepResident(m.namedTensors());
        Tokenizer tok = Tokenizers.load(tokenizer != null ? tokenizer : model);
        int[] ids = TokenData.fromText(text, tok, docSeparator, true);
        TokenData.checkIds(ids, m.config().vocabSize(), text.toString());
        int[][] w = Windows.first(ids, windows, seqLen, text.toString());
        ProgressLine progress = new ProgressLine(common.log(), "eval", (long) w.length * (seqLen - 1), "tokens", false);
        Perplexity.Result r = Perplexity.evaluate(m, w, batch, (done, total) -> progress.update(done));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("nll", r.nll());
        out.put("ppl", r.ppl());
        out.put("tokens", r.tokens());
        out.put("sparse_linears", sk.compressed());
        common.emit(String.format("nll %.4f nats/token, ppl %.4f over %,d predicted tokens (%d windows of %d)",
                r.nll(), r.ppl(), r.tokens(), w.length, seqLen), out);
        return 0;
    }
}
