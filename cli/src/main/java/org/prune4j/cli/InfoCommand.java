package org.prune4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.TensorInfo;
import org.prune4j.transformer.LlamaModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code prune4j info --model DIR}: what a Hugging Face model folder holds, without loading the weights (the
 * checkpoint is only mapped and its headers validated): architecture, layer shapes, parameter count, dtypes, bytes,
 * tokenizer file, and which tensors the config implies but the checkpoint lacks. A malformed checkpoint or config
 * fails with one line naming the file and the rule.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe a model folder: architecture, layer shapes, parameters, dtypes, bytes, tokenizer, missing tensors.")
public final class InfoCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder (config.json + safetensors).")
    Path model;

    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(model)) throw new java.nio.file.NoSuchFileException(model.toString());
        ModelConfig cfg = ModelConfig.read(model);
        Map<String, Object> r = new LinkedHashMap<>();
        StringBuilder t = new StringBuilder();
        try (SafeTensors st = SafeTensors.open(model)) {
            r.put("model", model.toString());
            r.put("architecture", cfg.architecture());
            r.put("model_type", cfg.modelType());
            r.put("num_layers", cfg.numLayers());
            r.put("hidden_size", cfg.hiddenSize());
            r.put("head_dim", cfg.headDim());
            r.put("vocab_size", cfg.vocabSize());
            r.put("tie_word_embeddings", cfg.tieWordEmbeddings());
            List<Object> layers = new ArrayList<>();
            for (int i = 0; i < cfg.numLayers(); i++) {
                Map<String, Object> l = new LinkedHashMap<>();
                l.put("num_attention_heads", cfg.numHeads(i));
                l.put("num_key_value_heads", cfg.numKvHeads(i));
                l.put("intermediate_size", cfg.intermediateSize(i));
                layers.add(l);
            }
            r.put("layers", layers);

            long params = 0, bytes = 0, fileBytes = 0;
            Map<String, Long> byDtype = new TreeMap<>();
            for (TensorInfo info : st.infos()) {
                params += info.numel();
                bytes += info.byteSize();
                byDtype.merge(info.dtype().safetensorsName(), info.numel(), Long::sum);
            }
            for (Path f : st.files()) fileBytes += Files.size(f);
            r.put("parameters", params);
            r.put("dtypes", byDtype);
            r.put("tensor_bytes", bytes);
            r.put("file_bytes", fileBytes);
            List<String> files = new ArrayList<>();
            for (Path f : st.files()) files.add(f.getFileName().toString());
            r.put("files", files);
            r.put("torch_dtype", cfg.torchDtype());

            String tokenizer = Files.isRegularFile(model.resolve("tokenizer.json")) ? "tokenizer.json"
                    : Files.isRegularFile(model.resolve("tokenizer.model")) ? "tokenizer.model" : null;
            r.put("tokenizer", tokenizer);

            Map<String, int[]> expected = LlamaModel.expectedShapes(cfg);
            List<String> missing = new ArrayList<>(), mismatched = new ArrayList<>(), unused = new ArrayList<>(), badDtype = new ArrayList<>();
            for (Map.Entry<String, int[]> e : expected.entrySet()) {
                if (!st.contains(e.getKey())) {
                    missing.add(e.getKey());
                    continue;
                }
                TensorInfo info = st.info(e.getKey());
                long[] want = Arrays.stream(e.getValue()).asLongStream().toArray();
                if (!Arrays.equals(want, info.shape()))
                    mismatched.add(e.getKey() + " " + Arrays.toString(info.shape()) + " (config implies " + Arrays.toString(e.getValue()) + ")");
                if (!info.dtype().isWeightType()) badDtype.add(e.getKey() + " " + info.dtype());
            }
            for (String n : st.names()) if (!expected.containsKey(n)) unused.add(n);
            r.put("missing_tensors", missing);
            r.put("shape_mismatches", mismatched);
            r.put("non_weight_dtypes", badDtype);
            r.put("unused_tensors", unused);
            r.put("complete", missing.isEmpty() && mismatched.isEmpty() && badDtype.isEmpty());

            t.append("model:        ").append(model).append('\n');
            t.append("architecture: ").append(cfg.architecture()).append(" (").append(cfg.modelType()).append(")\n");
            t.append("shape:        ").append(cfg.numLayers()).append(" layers, hidden ").append(cfg.hiddenSize())
                    .append(", head dim ").append(cfg.headDim()).append(", vocab ").append(cfg.vocabSize())
                    .append(cfg.tieWordEmbeddings() ? ", tied embeddings" : "").append('\n');
            if (cfg.hasPerLayerShapes()) {
                for (int i = 0; i < cfg.numLayers(); i++)
                    t.append(String.format("  layer %3d:  %d heads, %d kv heads, intermediate %d%n", i, cfg.numHeads(i), cfg.numKvHeads(i), cfg.intermediateSize(i)));
            } else {
                t.append(String.format("  every layer: %d heads, %d kv heads, intermediate %d%n", cfg.numHeads(0), cfg.numKvHeads(0), cfg.intermediateSize(0)));
            }
            t.append("parameters:   ").append(String.format("%,d", params)).append(" in ").append(st.size()).append(" tensors (")
                    .append(humanCount(params)).append(")\n");
            StringBuilder dt = new StringBuilder();
            for (Map.Entry<String, Long> e : byDtype.entrySet())
                dt.append(dt.isEmpty() ? "" : ", ").append(e.getKey()).append(' ').append(String.format("%,d", e.getValue()));
            t.append("dtypes:       ").append(dt.isEmpty() ? "none" : dt).append(cfg.torchDtype() != null ? "  (torch_dtype " + cfg.torchDtype() + ")" : "").append('\n');
            t.append("bytes:        ").append(String.format("%,d", bytes)).append(" of tensor data, ").append(String.format("%,d", fileBytes))
                    .append(" on disk in ").append(String.join(", ", files)).append('\n');
            t.append("tokenizer:    ").append(tokenizer == null ? "none (no tokenizer.json or tokenizer.model)" : tokenizer).append('\n');
            t.append("missing:      ").append(missing.isEmpty() ? "none" : missing.size() + ": " + String.join(", ", missing)).append('\n');
            if (!mismatched.isEmpty()) t.append("wrong shape:  ").append(String.join("; ", mismatched)).append('\n');
            if (!badDtype.isEmpty()) t.append("not weights:  ").append(String.join(", ", badDtype)).append(" (weights must be F32, BF16 or F16)\n");
            if (!unused.isEmpty()) t.append("unused:       ").append(unused.size()).append(": ").append(String.join(", ", unused)).append('\n');
        }
        common.emit(t.toString(), r);
        return 0;
    }

    private static String humanCount(long n) {
        if (n >= 1_000_000_000L) return String.format("%.2fB", n / 1e9);
        if (n >= 1_000_000L) return String.format("%.2fM", n / 1e6);
        if (n >= 1_000L) return String.format("%.1fK", n / 1e3);
        return Long.toString(n);
    }
}
