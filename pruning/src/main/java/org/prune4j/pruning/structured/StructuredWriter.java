package org.prune4j.pruning.structured;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.pruning.CheckpointPruner;
import org.prune4j.pruning.TensorSource;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Linear;

/**
 * Applies a {@link Plan} to a checkpoint: the output layout (every tensor's new shape) follows from the plan
 * before anything is read, then each tensor is gathered from the memory-mapped source ({@link Gather}: rows and
 * columns of kept units, KV heads mean-pooled) and streamed to the new safetensors file, non-layer tensors first,
 * then the kept layers renumbered 0, 1, ... The output folder (config.json with the new sizes and an explicit
 * head_dim, the checkpoint, the tokenizer files) appears atomically, or not at all. Same plan, same bytes.
 */
public final class StructuredWriter {
    private StructuredWriter() {}

    /** What was written: the new config, the files, parameters before and after. */
    public record Output(ModelConfig config, List<String> files, long paramsBefore, long paramsAfter) {}

    /** The config of the pruned model: kept layers, new sizes, head_dim explicit; per-layer shapes only when they differ. */
    public static ModelConfig config(ModelConfig cfg, Plan plan) throws org.prune4j.io.config.ConfigException {
        return config(cfg, plan, false);
    }

    /**
     * The config of the pruned model; with {@code hfPad} every layer has the widths of {@link HfPadding#widths},
     * so the config is a plain one without per-layer shapes.
     */
    public static ModelConfig config(ModelConfig cfg, Plan plan, boolean hfPad) throws org.prune4j.io.config.ConfigException {
        int[] keep = plan.layers().stream().mapToInt(Plan.LayerPlan::source).toArray();
        ModelConfig.Builder b = cfg.toBuilder().keepLayers(keep).hiddenSize(plan.hiddenSize()).headDim(cfg.headDim());
        HfPadding.Widths w = HfPadding.widths(plan);
        for (int i = 0; i < keep.length; i++) {
            Plan.LayerPlan p = plan.layers().get(i);
            if (hfPad) b.layer(i, w.heads(), w.kvHeads(), w.intermediate());
            else b.layer(i, p.numHeads(), p.numKvHeads(), p.intermediateSize());
        }
        return b.build();
    }

    /** Refuses a plan made for another model (its fingerprint or shapes differ from {@code cfg}'s and {@code src}'s). */
    public static void requireSource(Plan plan, ModelConfig cfg, TensorSource src, String planName) throws IOException {
        Plan.Source here = Planner.source(cfg, Fingerprint.of(src));
        if (!here.equals(plan.source()))
            throw new StructuredException(planName + ": the plan was made for another model (its source fingerprint "
                    + plan.source().fingerprint() + ", this model's " + here.fingerprint() + "); a plan applies only to the model it was scored on");
    }

    /** Every output tensor in write order: name in the new model -> (source name, gather). */
    static Map<String, Map.Entry<String, Gather>> layout(ModelConfig cfg, TensorSource src, Plan plan) throws IOException {
        return layout(cfg, src, plan, false);
    }

    /** The layout, with every layer zero-padded to {@link HfPadding#widths} when {@code hfPad}. */
    static Map<String, Map.Entry<String, Gather>> layout(ModelConfig cfg, TensorSource src, Plan plan, boolean hfPad) throws IOException {
        HfPadding.Widths w = HfPadding.widths(plan);
        int d = cfg.headDim(), c = cfg.hiddenSize();
        int[] ch = plan.channels();
        boolean allChannels = ch.length == c;
        int[] cols = allChannels ? null : ch;
        int[][] chRows = Gather.each(ch);
        Map<String, Map.Entry<String, Gather>> out = new LinkedHashMap<>();
        List<String> names = src.names();
        for (String n : names) {
            if (layerOf(n) >= 0) continue;
            Tensor t = src.get(n);
            Gather g;
            if (n.equals("model.embed_tokens.weight") || n.equals("lm_head.weight")) g = new Gather(Gather.all(t.size(0)), cols);
            else if (n.equals("model.norm.weight")) g = new Gather(chRows, null);
            else g = new Gather(Gather.all(t.rank() == 0 ? 0 : t.size(0)), null); // anything else is copied unchanged
            out.put(n, Map.entry(n, g));
        }
        for (int i = 0; i < plan.layers().size(); i++) {
            Plan.LayerPlan p = plan.layers().get(i);
            int l = p.source();
            String from = "model.layers." + l + ".", to = "model.layers." + i + ".";
            HfPadding.Slots u = hfPad ? HfPadding.padded(p, w) : HfPadding.unpadded(p);
            int[][] qRows = Gather.each(Gather.blocks(u.heads(), d)), kvRows = Gather.pooled(u.kv(), d), nRows = Gather.each(u.neurons());
            int[] oCols = Gather.blocks(u.heads(), d), dCols = u.neurons();
            for (String n : names) {
                if (layerOf(n) != l) continue;
                String rest = n.substring(from.length());
                Gather g = switch (rest) {
                    case "input_layernorm.weight", "post_attention_layernorm.weight" -> new Gather(chRows, null);
                    default -> {
                        Linear lin = linearOf(rest);
                        if (lin == null) yield new Gather(Gather.all(src.get(n).rank() == 0 ? 0 : src.get(n).size(0)), null);
                        boolean bias = rest.endsWith(".bias");
                        yield switch (lin) {
                            case Q -> new Gather(qRows, bias ? null : cols);
                            case K, V -> new Gather(kvRows, bias ? null : cols);
                            case O -> new Gather(chRows, bias ? null : oCols);
                            case GATE, UP -> new Gather(nRows, bias ? null : cols);
                            case DOWN -> new Gather(chRows, bias ? null : dCols);
                        };
                    }
                };
                out.put(to + rest, Map.entry(n, g));
            }
        }
        return out;
    }

    /**
     * Writes the pruned model of {@code plan} from {@code model} (config {@code cfg}, tensors {@code src}) into
     * {@code out}; {@code replace} allows replacing an existing folder. Progress per layer goes to {@code log}.
     */
    public static Output write(Path model, ModelConfig cfg, TensorSource src, Plan plan, Path out, boolean replace,
                               Map<String, String> metadata, PrintStream log) throws IOException {
        return write(model, cfg, src, plan, out, replace, false, metadata, log);
    }

    /**
     * {@link #write}, with {@code hfPad}: every layer zero-padded to the widest layer's counts ({@link HfPadding}),
     * a plain config that Hugging Face loads, the same function. A plan whose layers share one shape pads nothing
     * and writes the same bytes as without it.
     */
    public static Output write(Path model, ModelConfig cfg, TensorSource src, Plan plan, Path out, boolean replace, boolean hfPad,
                               Map<String, String> metadata, PrintStream log) throws IOException {
        boolean pad = hfPad;
        if (hfPad && log != null) {
            HfPadding.Widths w = HfPadding.widths(plan);
            log.println(plan.perLayerShapes() ? "hf-pad: every layer zero-padded to " + w.heads() + " query heads, " + w.kvHeads() + " key/value heads, intermediate "
                    + w.intermediate() + " (a plain config; the same function)" : "hf-pad: the layers already share one shape; nothing to pad");
        }
        ModelConfig newCfg = config(cfg, plan, pad);
        Map<String, Map.Entry<String, Gather>> layout = layout(cfg, src, plan, pad);
        long before = 0, after = 0;
        for (String n : src.names()) before += src.get(n).numel();
        List<String> files = new ArrayList<>();
        long[] written = {0};
        long t0 = System.nanoTime();
        AtomicFiles.buildFolder(out, replace, tmp -> {
            newCfg.write(tmp.resolve(ModelConfig.FILE));
            files.add(ModelConfig.FILE);
            try (SafeTensorsWriter w = SafeTensorsWriter.sharded(tmp, CheckpointPruner.SHARD_BYTES)) {
                Map<String, String> md = new java.util.TreeMap<>(metadata == null ? Map.of() : metadata); // sorted: the same header bytes in every JVM
                md.putAll(SourceLayers.metadata(plan)); // so distill maps student layers to teacher layers without the plan
                w.metadata(md);
                for (Map.Entry<String, Map.Entry<String, Gather>> e : layout.entrySet()) {
                    Tensor s = src.get(e.getValue().getKey());
                    w.declare(e.getKey(), s.dtype(), e.getValue().getValue().shape(s));
                }
                int lastLayer = -1;
                for (Map.Entry<String, Map.Entry<String, Gather>> e : layout.entrySet()) {
                    Tensor s = src.get(e.getValue().getKey());
                    Gather g = e.getValue().getValue();
                    boolean same = g.isIdentity(s.rank() == 0 ? 0 : s.size(0), s.rank() == 2 ? s.size(1) : 0);
                    Tensor t = same ? s : g.apply(s);
                    w.write(e.getKey(), t);
                    written[0] += t.numel();
                    int l = layerOf(e.getKey());
                    if (log != null && l != lastLayer && l > 0) progress(log, l - 1, plan.numLayers(), t0);
                    lastLayer = l;
                }
                w.commit();
                if (log != null) progress(log, plan.numLayers() - 1, plan.numLayers(), t0);
                for (Path p : w.files()) files.add(p.getFileName().toString());
            }
            for (String f : CheckpointPruner.TOKENIZER_FILES)
                if (Files.isRegularFile(model.resolve(f))) {
                    Files.write(tmp.resolve(f), Files.readAllBytes(model.resolve(f)));
                    files.add(f);
                }
        });
        after = written[0];
        return new Output(newCfg, files, before, after);
    }

    private static void progress(PrintStream log, int done, int total, long t0) {
        double s = (System.nanoTime() - t0) / 1e9, eta = s / (done + 1) * (total - done - 1);
        log.printf(java.util.Locale.ROOT, "write: layer %d/%d  %.1f s, ETA %.1f s%n", done + 1, total, s, eta);
    }

    /** The decoder layer of a tensor name, or -1. */
    static int layerOf(String name) {
        if (!name.startsWith("model.layers.")) return -1;
        int dot = name.indexOf('.', "model.layers.".length());
        try {
            return dot < 0 ? -1 : Integer.parseInt(name.substring("model.layers.".length(), dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The linear a "self_attn.q_proj.weight"-style suffix names, or null. */
    private static Linear linearOf(String rest) {
        for (Linear l : Linear.values()) if (rest.equals(l.suffix() + ".weight") || rest.equals(l.suffix() + ".bias")) return l;
        return null;
    }
}
