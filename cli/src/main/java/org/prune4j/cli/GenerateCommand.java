package org.prune4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.transformer.Generator;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Sampler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code generate}: text from a model, greedy or sampled (temperature, top-p, seed), with a KV cache. */
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
        if (steps < 0) throw new UsageException(spec.commandLine(), "--steps must be >= 0, got " + steps);
        if (!(temperature >= 0)) throw new UsageException(spec.commandLine(), "--temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new UsageException(spec.commandLine(), "--top-p must be in (0, 1], got " + topP);
        LlamaModel m = LlamaModel.load(model, device.kernels());
        sparse.apply(m, common.log(), spec.commandLine());
        device.keepResident(m.namedTensors());
        Tokenizer tok = Tokenizers.load(tokenizer != null ? tokenizer : model);
        int bos = tok.bosId() >= 0 ? tok.bosId() : m.config().bosTokenId() != null ? m.config().bosTokenId() : -1;
        int[] text = tok.encode(prompt);
        int[] promptIds;
        if (bos >= 0) {
            promptIds = new int[text.length + 1];
            promptIds[0] = bos;
            System.arraycopy(text, 0, promptIds, 1, text.length);
        } else {
            promptIds = text;
        }
        if (promptIds.length == 0)
            throw new UsageException(spec.commandLine(), "the tokenizer has no BOS token, so generation needs a non-empty --prompt");
        for (int id : promptIds)
            if (id >= m.config().vocabSize()) throw new IllegalArgumentException("prompt token " + id + " is outside the model's vocabulary of " + m.config().vocabSize());
        int[] eos = stopAtEos ? eosIds(m, tok) : null;
        ProgressLine progress = new ProgressLine(common.log(), "generate", steps, "tokens", steps < 64);
        int[] count = {0};
        int[] gen = new Generator(m).generate(promptIds, steps, new Sampler(temperature, topP, seed), eos, t -> progress.update(++count[0]));
        int[] all = new int[promptIds.length + gen.length];
        System.arraycopy(promptIds, 0, all, 0, promptIds.length);
        System.arraycopy(gen, 0, all, promptIds.length, gen.length);
        String out = tok.decode(all);
        List<Integer> ids = new ArrayList<>();
        for (int t : all) ids.add(t);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("tokens", ids);
        json.put("text", out);
        common.emit(out, json);
        return 0;
    }

    private static int[] eosIds(LlamaModel m, Tokenizer tok) {
        int[] cfg = m.config().eosTokenIds();
        if (cfg.length > 0) return cfg;
        return tok.eosId() >= 0 ? new int[] {tok.eosId()} : new int[0];
    }
}
