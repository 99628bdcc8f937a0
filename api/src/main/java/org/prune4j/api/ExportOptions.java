package org.prune4j.api;

import java.nio.file.Path;
import java.util.Locale;

/**
 * {@code export}'s flags with its defaults, so an application exports exactly what the command exports.
 *
 * @param model the model folder ({@code --model})
 * @param format {@code gguf} (a file llama.cpp runs; default) or {@code safetensors} (a Hugging Face folder) ({@code --format})
 * @param out the GGUF file or the output folder ({@code --out})
 * @param dtype storage of the weights ({@code --dtype}): f32 (default) or f16 for GGUF (norms stay f32); f32, f16 or bf16 for safetensors
 */
public record ExportOptions(Path model, String format, Path out, String dtype) {
    /** Checks the format and the dtype it allows, with the command's messages. */
    public ExportOptions {
        if (model == null) throw new Prune4jException.InvalidOptions("give the model folder (--model)");
        if (out == null) throw new Prune4jException.InvalidOptions("give --out");
        if (format == null) format = "gguf";
        if (dtype == null) dtype = "f32";
        format = format.toLowerCase(Locale.ROOT);
        switch (format) {
            case "gguf" -> {
                if (!dtype.equals("f32") && !dtype.equals("f16")) throw new Prune4jException.InvalidOptions("--dtype " + dtype + ": expected f32 or f16");
            }
            case "safetensors" -> {
                if (!dtype.equals("f32") && !dtype.equals("f16") && !dtype.equals("bf16"))
                    throw new Prune4jException.InvalidOptions("--dtype " + dtype + ": expected f32, f16 or bf16");
            }
            default -> throw new Prune4jException.InvalidOptions("--format " + format + ": expected gguf or safetensors");
        }
    }

    /**
     * {@code model} as {@code format} at {@code out}, weights in f32.
     *
     * @param model the model folder
     * @param format gguf or safetensors
     * @param out the file (gguf) or folder (safetensors) to write
     * @return the options
     */
    public static ExportOptions of(Path model, String format, Path out) {
        return new ExportOptions(model, format, out, "f32");
    }
}
