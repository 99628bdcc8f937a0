package org.prune4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.api.EvalOptions;
import org.prune4j.api.Evaluate;
import org.prune4j.api.Model;
import org.prune4j.api.ProgressListener;
import org.prune4j.api.Prune4jException;
import org.prune4j.io.tokenizer.Tokenizers;
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
        EvalOptions o;
        try {
            o = new EvalOptions(text, docSeparator, seqLen, windows, batch);
        } catch (Prune4jException.InvalidOptions e) {
            throw new UsageException(spec.commandLine(), e.getMessage());
        }
        Model m = Model.load(model, device.kernels());
        var sk = sparse.apply(m.model(), common.log(), spec.commandLine());
        device.keepResident(m.model().heldTensors());
        if (tokenizer != null) m = new Model(m.dir(), m.model(), Tokenizers.load(tokenizer));
        ProgressLine[] progress = {null};
        Evaluate.Result r = Evaluate.run(m, o, new ProgressListener() {
            @Override public void progress(String stage, long done, long total) {
                if (progress[0] == null) progress[0] = new ProgressLine(common.log(), "eval", total, "tokens", false);
                progress[0].update(done);
            }
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("nll", r.nll());
        out.put("ppl", r.ppl());
        out.put("tokens", r.tokens());
        out.put("sparse_linears", sk.compressed());
        common.emit(String.format("nll %.4f nats/token, ppl %.4f over %,d predicted tokens (%d windows of %d)",
                r.nll(), r.ppl(), r.tokens(), r.windows(), seqLen), out);
        return 0;
    }
}
