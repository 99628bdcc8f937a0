package org.prune4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.api.Generate;
import org.prune4j.api.GenerateOptions;
import org.prune4j.api.Model;
import org.prune4j.api.ProgressListener;
import org.prune4j.api.Prune4jException;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.transformer.LlamaModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code generate}: text from a model, greedy or sampled (temperature, top-p, seed), with a KV cache; {@link Generate} runs it. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text after a prompt (encoded with BOS; no prompt = BOS alone). Prints the prompt and its continuation.")
public final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Mixin SparseKernelOptions sparse;

    @Option(names = "--model", required = true, description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--prompt", defaultValue = "", description = "Text to continue (default: none, generation starts from BOS).")
    String prompt;

    @Option(names = "--steps", required = true, description = "Number of tokens to generate.")
    int steps;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy (argmax); default ${DEFAULT-VALUE}.")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.9", description = "Nucleus sampling mass in (0, 1]; 1 = off. Default ${DEFAULT-VALUE}.")
    float topP;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the sampler (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop-at-eos", description = "Stop after the model emits an end-of-sequence token.")
    boolean stopAtEos;

    @Option(names = "--tokenizer", description = "Tokenizer file or folder (default: the model folder's).")
    Path tokenizer;

    @Override
    public Integer call() throws Exception {
        GenerateOptions o;
        try {
            o = new GenerateOptions(prompt, steps, temperature, topP, seed, stopAtEos);
        } catch (Prune4jException.InvalidOptions e) {
            throw new UsageException(spec.commandLine(), e.getMessage());
        }
        LlamaModel m = LlamaModel.load(model, device.kernels());
        sparse.apply(m, common.log(), spec.commandLine());
        device.keepResident(m.heldTensors());
        Tokenizer tok = Tokenizers.load(tokenizer != null ? tokenizer : model);
        ProgressLine progress = new ProgressLine(common.log(), "generate", steps, "tokens", steps < 64);
        Generate.Result r;
        try {
            r = Generate.run(new Model(model, m, tok), o, new ProgressListener() {
                @Override public void progress(String stage, long done, long total) { progress.update(done); }
            });
        } catch (Prune4jException.InvalidOptions e) {
            throw new UsageException(spec.commandLine(), e.getMessage());
        }
        List<Integer> ids = new ArrayList<>();
        for (int t : r.tokens()) ids.add(t);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("tokens", ids);
        json.put("text", r.text());
        common.emit(r.text(), json);
        return 0;
    }
}
