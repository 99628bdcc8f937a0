package org.prune4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.api.Export;
import org.prune4j.api.ExportOptions;
import org.prune4j.api.ProgressListener;
import org.prune4j.api.Prune4jException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code prune4j export --model DIR --format gguf|safetensors --out FILE|DIR [--dtype f32|f16|bf16]}: a model folder
 * (dense or pruned) as a GGUF file llama.cpp runs, or as a Hugging Face folder in another dtype, so a pruned model goes
 * where people deploy. Written atomically. The flags become {@link ExportOptions}; {@link Export} runs them.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Write a model folder as a GGUF file for llama.cpp, or as a Hugging Face folder with its weights stored as f32, f16 or bf16.",
                "GGUF uses the llama architecture ('deci' when layers differ in shape); the folder holds config.json, safetensors and the tokenizer."})
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder (config.json + safetensors + tokenizer).")
    Path model;

    @Option(names = "--format", defaultValue = "gguf", paramLabel = "FORMAT", description = "Output format: gguf (default) or safetensors.")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE|DIR", description = "The GGUF file to write (safetensors: the folder, which must not exist).")
    Path out;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "f32|f16|bf16", description = "Storage of the weights: gguf f32 or f16 (norms stay f32), safetensors f32, f16 or bf16. Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Mixin CommonOptions common;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        Export.Result x;
        try {
            x = Export.run(new ExportOptions(model, format, out, dtype), ProgressListener.NONE);
        } catch (Prune4jException.InvalidOptions e) {
            throw new UsageException(spec.commandLine(), e.getMessage());
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("out", out.toString());
        r.put("format", x.format());
        r.put("dtype", dtype);
        r.put("bytes", x.bytes());
        r.put("seconds", x.seconds());
        common.emit(String.format("wrote %s (%,d bytes, %s) in %.2f s", out, x.bytes(), dtype, x.seconds()), r);
        return 0;
    }
}
