package org.prune4j.distill;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.prune4j.autograd.Var;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.DecoderLayer;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;

/**
 * LoRA adapters on a model's linear layers, put in through {@link DecoderLayer#setLinear}: attach (the base is
 * frozen, only A and B train), merge back into dense weights, or save in Hugging Face PEFT's layout.
 */
public final class Lora {
    /** Hyper-parameters, PEFT's LoraConfig names: r, lora_alpha, lora_dropout, target_modules. */
    public record Config(int rank, double alpha, double dropout, Set<Linear> targets) {
        public Config {
            if (rank < 1) throw new IllegalArgumentException("--lora-rank must be >= 1, got " + rank);
            if (targets.isEmpty()) throw new IllegalArgumentException("--lora-targets names no layer");
            targets = Set.copyOf(targets);
        }

        /** Parses q,k,v,o,gate,up,down (or PEFT's q_proj, ..., down_proj). */
        public static Set<Linear> parseTargets(String list) {
            Set<Linear> s = EnumSet.noneOf(Linear.class);
            for (String t : list.split(",")) {
                String n = t.strip().toLowerCase(Locale.ROOT).replace("_proj", "");
                Linear l = switch (n) {
                    case "q" -> Linear.Q; case "k" -> Linear.K; case "v" -> Linear.V; case "o" -> Linear.O;
                    case "gate" -> Linear.GATE; case "up" -> Linear.UP; case "down" -> Linear.DOWN;
                    default -> throw new IllegalArgumentException("--lora-targets: unknown layer '" + t + "' (expected q,k,v,o,gate,up,down)");
                };
                s.add(l);
            }
            return s;
        }
    }

    private final LlamaModel model;
    private final Config cfg;
    private final List<LoraLinear> adapters = new ArrayList<>();
    private final List<int[]> where = new ArrayList<>(); // {layer, Linear ordinal}

    private Lora(LlamaModel model, Config cfg) {
        this.model = model;
        this.cfg = cfg;
    }

    /** Freezes every parameter of {@code model} and wraps each targeted linear layer in a {@link LoraLinear}. */
    public static Lora attach(LlamaModel model, Config cfg, long seed) {
        Lora lo = new Lora(model, cfg);
        model.setTrainable(false);
        for (int i = 0; i < model.numLayers(); i++) {
            DecoderLayer layer = model.layer(i);
            for (Linear l : Linear.values()) {
                if (!cfg.targets().contains(l)) continue;
                String prefix = "base_model.model.model.layers." + i + "." + l.suffix();
                LoraLinear a = new LoraLinear(layer.linear(l), prefix, cfg.rank(), cfg.alpha(), cfg.dropout(), seed * 131 + i * 7L + l.ordinal());
                layer.setLinear(l, a);
                lo.adapters.add(a);
                lo.where.add(new int[] {i, l.ordinal()});
            }
        }
        return lo;
    }

    /** The trainable factors, by their PEFT names (base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight). */
    public Map<String, Var> parameters() {
        Map<String, Var> m = new LinkedHashMap<>();
        for (LoraLinear a : adapters) m.putAll(a.extraParameters());
        return m;
    }

    /** Tells every adapter which micro-batch runs next (dropout seeds). */
    public void microBatch(long m) {
        for (LoraLinear a : adapters) a.microBatch(m);
    }

    /**
     * Writes W + (alpha/r) B A into each base weight and puts the dense layers back; with {@code keepZeros} the
     * zeros of the base stay zero (a sparse student stays sparse).
     */
    public void merge(boolean keepZeros) {
        for (int j = 0; j < adapters.size(); j++) {
            LoraLinear a = adapters.get(j);
            int layer = where.get(j)[0];
            Linear l = Linear.values()[where.get(j)[1]];
            Tensor merged = a.merged(keepZeros);
            model.layer(layer).setLinear(l, a.base());
            model.layer(layer).setWeight(l, merged);
        }
        adapters.clear();
        where.clear();
    }

    /**
     * Saves the adapters as PEFT does ({@code save_pretrained}): {@code adapter_config.json} (peft_type LORA,
     * task_type CAUSAL_LM, r, lora_alpha, lora_dropout, target_modules, bias none, ...) and
     * {@code adapter_model.safetensors} with tensors {@code base_model.model.<module>.lora_A.weight} [r, in] and
     * {@code lora_B.weight} [out, r], in a folder that appears atomically.
     */
    public void save(Path dir, String baseModel, boolean replace) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        parameters().forEach((n, v) -> tensors.put(n, v.value()));
        List<Object> targets = new ArrayList<>();
        for (Linear l : Linear.values()) if (cfg.targets().contains(l)) targets.add(l.suffix().substring(l.suffix().indexOf('.') + 1));
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModel);
        c.put("r", (long) cfg.rank());
        c.put("lora_alpha", cfg.alpha());
        c.put("lora_dropout", cfg.dropout());
        c.put("target_modules", targets);
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("inference_mode", true);
        c.put("init_lora_weights", true);
        c.put("modules_to_save", null);
        c.put("layers_to_transform", null);
        c.put("layers_pattern", null);
        c.put("rank_pattern", new LinkedHashMap<>());
        c.put("alpha_pattern", new LinkedHashMap<>());
        c.put("use_rslora", false);
        c.put("use_dora", false);
        c.put("revision", null);
        AtomicFiles.buildFolder(dir, replace, tmp -> {
            SafeTensorsWriter.write(tmp.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
            java.nio.file.Files.writeString(tmp.resolve("adapter_config.json"), Json.writePretty(c, 2) + "\n");
        });
    }
}
