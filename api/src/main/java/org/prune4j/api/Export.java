package org.prune4j.api;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.gguf.GgufWriter;
import org.prune4j.io.gguf.LlamaGguf;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.io.safetensors.TensorInfo;
import org.prune4j.pruning.CheckpointPruner;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/**
 * A model folder (dense or pruned) where people deploy it ({@code export}): a GGUF v3 file llama.cpp runs, or a
 * Hugging Face folder with its weights stored as f32, f16 or bf16. Both appear atomically, or not at all.
 */
public final class Export {
    private Export() {}

    /**
     * What was written.
     *
     * @param out the file or folder
     * @param format gguf or safetensors
     * @param dtype the weights' storage
     * @param bytes bytes written (the GGUF file, or every file of the folder)
     * @param seconds how long it took
     */
    public record Result(Path out, String format, String dtype, long bytes, double seconds) {}

    /**
     * Exports {@code o.model()} as {@code o.format()}.
     *
     * @param o the options
     * @param listener where progress goes ({@code progress("export", tensors, total)} for safetensors)
     * @return what was written
     * @throws Prune4jException.BadInput the folder is not a model, or (safetensors) holds a tensor that is not floating point
     */
    public static Result run(ExportOptions o, ProgressListener listener) {
        long t0 = System.nanoTime();
        try {
            if (!Files.isDirectory(o.model())) throw new java.nio.file.NoSuchFileException(o.model().toString());
            long bytes;
            if (o.format().equals("gguf")) {
                LlamaGguf.export(o.model(), o.out(), o.dtype().equals("f16") ? GgufWriter.Type.F16 : GgufWriter.Type.F32);
                bytes = Files.size(o.out());
            } else {
                bytes = safetensors(o, listener);
            }
            return new Result(o.out(), o.format(), o.dtype(), bytes, (System.nanoTime() - t0) / 1e9);
        } catch (IOException | RuntimeException e) {
            throw Prune4jException.wrap(e);
        }
    }

    /** Streams every tensor of the mapped checkpoint into a new folder, converted to the dtype; config and tokenizer copied as they are. */
    private static long safetensors(ExportOptions o, ProgressListener listener) throws IOException {
        DType dtype = switch (o.dtype()) {
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            default -> DType.F32;
        };
        ModelConfig.read(o.model()); // a model folder, or an error naming what is wrong with its config.json
        if (Files.exists(o.out())) throw new Prune4jException.BadInput(o.out() + ": output folder already exists (choose another path)", null);
        try (SafeTensors st = SafeTensors.open(o.model())) {
            for (TensorInfo i : st.infos())
                if (!i.dtype().floating)
                    throw new Prune4jException.BadInput(o.model() + ": tensor " + i.name() + " is " + i.dtype()
                            + ", not floating point (a compressed or quantized checkpoint); safetensors export converts dense float weights only", null);
            AtomicFiles.buildFolder(o.out(), false, dir -> {
                Files.copy(o.model().resolve(ModelConfig.FILE), dir.resolve(ModelConfig.FILE));
                for (String f : CheckpointPruner.TOKENIZER_FILES)
                    if (Files.isRegularFile(o.model().resolve(f))) Files.copy(o.model().resolve(f), dir.resolve(f));
                try (SafeTensorsWriter w = SafeTensorsWriter.sharded(dir, CheckpointPruner.SHARD_BYTES)) {
                    Map<String, String> md = new java.util.LinkedHashMap<>(st.metadata() == null ? Map.of() : st.metadata());
                    md.remove("format");
                    w.metadata(md);
                    for (TensorInfo i : st.infos()) w.declare(i.name(), dtype, i.shape());
                    int done = 0;
                    for (TensorInfo i : st.infos()) {
                        try (Arena arena = Arena.ofConfined()) {
                            Tensor t = st.get(i.name());
                            w.write(i.name(), t.dtype() == dtype ? t : t.to(dtype, arena));
                        }
                        listener.progress("export", ++done, st.infos().size());
                    }
                    w.commit();
                }
            });
        }
        long bytes = 0;
        try (var files = Files.list(o.out())) {
            for (Path p : (Iterable<Path>) files::iterator) bytes += Files.size(p);
        }
        return bytes;
    }
}
