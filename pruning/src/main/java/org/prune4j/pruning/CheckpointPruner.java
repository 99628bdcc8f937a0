package org.prune4j.pruning;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.io.safetensors.Sparse24Bitmask;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/**
 * Prunes a model folder into a new model folder: the input is memory-mapped, the output streamed layer by layer into
 * a temporary folder beside the target that is renamed into place only when complete (config.json, the safetensors
 * checkpoint — sharded as Hugging Face does above 5 GB — and the tokenizer files). On any failure no output appears.
 */
public final class CheckpointPruner {
    private CheckpointPruner() {}

    /** Files of a model folder copied unchanged besides config.json. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer.model", "tokenizer_config.json",
            "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt", "generation_config.json", "chat_template.jinja");

    /** Checkpoints larger than this are written as Hugging Face shards (5 GB, the HF default). */
    public static final long SHARD_BYTES = 5_000_000_000L;

    /** The run's result and the files the output folder holds. */
    public record Output(SequentialPruner.Result result, List<String> files) {}

    /**
     * Prunes {@code model} (config {@code cfg}, checkpoint {@code st} opened from it) into {@code out} with
     * {@code calibration} windows; {@code replace} allows an existing {@code out} to be replaced. {@code metadata}
     * goes into the safetensors header.
     */
    public static Output run(Path model, ModelConfig cfg, SafeTensors st, int[][] calibration, SequentialPruner.Options options,
                             Path out, boolean replace, Map<String, String> metadata) throws IOException {
        return run(model, cfg, st, calibration, options, out, replace, metadata, SaveFormat.DENSE);
    }

    /** How the pruned linear weights are stored: dense (zeros kept), or compressed-tensors' sparse-24-bitmask (2:4 only). */
    public enum SaveFormat { DENSE, COMPRESSED_TENSORS }

    /** As {@link #run(Path, ModelConfig, SafeTensors, int[][], SequentialPruner.Options, Path, boolean, Map)}, saving in {@code format}. */
    public static Output run(Path model, ModelConfig cfg, SafeTensors st, int[][] calibration, SequentialPruner.Options options,
                             Path out, boolean replace, Map<String, String> metadata, SaveFormat format) throws IOException {
        SequentialPruner.Result[] result = new SequentialPruner.Result[1];
        List<String> files = new ArrayList<>();
        AtomicFiles.buildFolder(out, replace, tmp -> {
            copy(model.resolve(ModelConfig.FILE), tmp.resolve(ModelConfig.FILE));
            files.add(ModelConfig.FILE);
            try (SafeTensorsWriter w = SafeTensorsWriter.sharded(tmp, SHARD_BYTES)) {
                if (metadata != null) w.metadata(metadata);
                TensorSink sink = format == SaveFormat.DENSE ? sink(w) : sparse24Sink(w, linearWeightNames(cfg));
                result[0] = SequentialPruner.run(cfg, TensorSource.of(st), calibration, options, sink);
                w.commit();
                for (Path p : w.files()) files.add(p.getFileName().toString());
            }
            if (format == SaveFormat.COMPRESSED_TENSORS) {
                long params = 0;
                for (String n : st.names()) params += st.info(n).numel();
                addQuantizationConfig(tmp.resolve(ModelConfig.FILE), 100.0 * result[0].zeros() / Math.max(1, params));
            }
            for (String f : TOKENIZER_FILES)
                if (Files.isRegularFile(model.resolve(f))) {
                    copy(model.resolve(f), tmp.resolve(f));
                    files.add(f);
                }
        });
        return new Output(result[0], files);
    }

    /** Copies the bytes only (not a read-only source's permissions). */
    static void copy(Path from, Path to) throws IOException {
        Files.write(to, Files.readAllBytes(from));
    }

    /** The decoder layers' linear weights, the tensors a sparse-24-bitmask checkpoint stores compressed. */
    static java.util.Set<String> linearWeightNames(ModelConfig cfg) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int l = 0; l < cfg.numLayers(); l++)
            for (org.prune4j.transformer.Linear lin : org.prune4j.transformer.Linear.values()) names.add(lin.weightName(l));
        return names;
    }

    /** The streaming writer as a sink that stores {@code compressed} weights as sparse-24-bitmask triples, the rest as they are. */
    static TensorSink sparse24Sink(SafeTensorsWriter w, java.util.Set<String> compressed) {
        return new TensorSink() {
            @Override public void declare(String name, DType dtype, int[] shape) {
                if (compressed.contains(name)) Sparse24Bitmask.declare(w, name, dtype, shape[0], shape[1]);
                else w.declare(name, dtype, shape);
            }

            @Override public void write(String name, Tensor t) throws IOException {
                if (compressed.contains(name)) Sparse24Bitmask.write(w, name, t);
                else w.write(name, t);
            }
        };
    }

    /** Adds compressed-tensors' quantization_config to the copied config.json (other keys unchanged). */
    static void addQuantizationConfig(Path configFile, double globalSparsityPercent) throws IOException {
        Map<String, Object> raw = Json.parseObject(Files.readString(configFile), true);
        raw.put("quantization_config", Sparse24Bitmask.quantizationConfig(globalSparsityPercent));
        Files.writeString(configFile, Json.writePretty(raw, 2) + "\n");
    }

    /** The streaming writer as a pruning sink. */
    public static TensorSink sink(SafeTensorsWriter w) {
        return new TensorSink() {
            @Override public void declare(String name, DType dtype, int[] shape) { w.declare(name, dtype, shape); }
            @Override public void write(String name, Tensor t) throws IOException { w.write(name, t); }
        };
    }
}
