package org.prune4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.io.gguf.GgufWriter;
import org.prune4j.io.gguf.LlamaGguf;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code prune4j export --model DIR --format gguf --out model.gguf [--dtype f32|f16]}: a model folder (dense or pruned)
 * as a GGUF file llama.cpp runs, so a pruned model goes where people deploy. Written atomically.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a model folder as a GGUF file for llama.cpp (llama architecture; 'deci' when layers differ in shape).")
public final class ExportCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder (config.json + safetensors + tokenizer).")
    Path model;

    @Option(names = "--format", defaultValue = "gguf", paramLabel = "FORMAT", description = "Output format: gguf (the only one so far).")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The GGUF file to write.")
    Path out;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "f32|f16", description = "Storage of the weight matrices (norms stay f32). Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Mixin CommonOptions common;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("gguf")) throw new UsageException(spec.commandLine(), "--format " + format + ": only gguf is supported");
        GgufWriter.Type type = switch (dtype) {
            case "f32" -> GgufWriter.Type.F32;
            case "f16" -> GgufWriter.Type.F16;
            default -> throw new UsageException(spec.commandLine(), "--dtype " + dtype + ": expected f32 or f16");
        };
        if (!Files.isDirectory(model)) throw new java.nio.file.NoSuchFileException(model.toString());
        long t0 = System.nanoTime();
        LlamaGguf.export(model, out, type);
        double s = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("out", out.toString());
        r.put("format", format);
        r.put("dtype", dtype);
        r.put("bytes", Files.size(out));
        r.put("seconds", s);
        common.emit(String.format("wrote %s (%,d bytes, %s) in %.2f s", out, Files.size(out), dtype, s), r);
        return 0;
    }
}
