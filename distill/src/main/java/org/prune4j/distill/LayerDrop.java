package org.prune4j.distill;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ConfigException;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * Depth pruning by Block Influence (Men et al. 2024, ShortGPT): BI_l = 1 - mean over every calibration position of
 * cos(x_in, x_out) of layer l; the layer with the lowest BI changes its input least and is dropped. The stand-in
 * that makes the distillation protocol's student until the structured-pruning command ({@code prune --target
 * num_hidden_layers=N}) exists; run as {@code java -cp prune4j.jar org.prune4j.distill.LayerDrop --model DIR
 * --calib FILE --out DIR [--windows 32 --seq-len 128]}.
 */
public final class LayerDrop {
    private LayerDrop() {}

    /** BI of every layer on {@code windows} (mean over batch and positions of the per-position cosine, in double). */
    public static double[] blockInfluence(LlamaModel m, int[][] windows) {
        int layers = m.numLayers();
        double[] cosSum = new double[layers];
        long[] count = new long[layers];
        Tensor[] in = new Tensor[layers];
        Observer obs = new Observer() {
            @Override public void layerInput(int l, Tensor h) { in[l] = h.copy(); }

            @Override public void layerOutput(int l, Tensor h) {
                float[] a = in[l].toFloatArray(), b = h.toFloatArray();
                int c = h.size(-1);
                for (int p = 0; p < a.length / c; p++) {                                   // one position: mean over B*T of cos
                    double dot = 0, na = 0, nb = 0;
                    for (int j = p * c; j < (p + 1) * c; j++) {
                        dot += (double) a[j] * b[j];
                        na += (double) a[j] * a[j];
                        nb += (double) b[j] * b[j];
                    }
                    cosSum[l] += dot / Math.sqrt(na * nb);
                    count[l]++;
                }
            }
        };
        for (int[] w : windows) m.logits(new int[][] {w}, obs);
        double[] bi = new double[layers];
        for (int l = 0; l < layers; l++) bi[l] = 1 - cosSum[l] / count[l];
        return bi;
    }

    /** Index of the smallest BI (the first on ties). */
    public static int lowest(double[] bi) {
        int best = 0;
        for (int l = 1; l < bi.length; l++) if (bi[l] < bi[best]) best = l;
        return best;
    }

    /** The config and tensors of {@code m} without layer {@code drop}: later layers move down one index. */
    public static Map<String, Tensor> withoutLayer(LlamaModel m, int drop, ModelConfig[] configOut) throws ConfigException {
        ModelConfig cfg = m.config();
        ModelConfig.Builder b = cfg.toBuilder().numLayers(cfg.numLayers() - 1);
        Map<String, Tensor> out = new LinkedHashMap<>();
        String dropped = "model.layers." + drop + ".";
        for (Map.Entry<String, Tensor> e : m.namedTensors().entrySet()) {
            String n = e.getKey();
            if (n.startsWith(dropped)) continue;
            if (n.startsWith("model.layers.")) {
                int dot = n.indexOf('.', "model.layers.".length());
                int l = Integer.parseInt(n.substring("model.layers.".length(), dot));
                if (l > drop) n = "model.layers." + (l - 1) + n.substring(dot);
            }
            out.put(n, e.getValue());
        }
        for (int l = 0, k = 0; l < cfg.numLayers(); l++) {
            if (l == drop) continue;
            b.layer(k++, cfg.numHeads(l), cfg.numKvHeads(l), cfg.intermediateSize(l));
        }
        configOut[0] = b.build();
        return out;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i], args[i + 1]);
        if (!a.containsKey("--model") || !a.containsKey("--calib") || !a.containsKey("--out")) {
            System.err.println("usage: LayerDrop --model DIR --calib FILE --out DIR [--windows 32] [--seq-len 128]");
            System.exit(2);
        }
        Path model = Path.of(a.get("--model")), out = Path.of(a.get("--out"));
        int windows = Integer.parseInt(a.getOrDefault("--windows", "32")), len = Integer.parseInt(a.getOrDefault("--seq-len", "128"));
        Kernels k = new VectorKernels(Runtime.getRuntime().availableProcessors());
        LlamaModel m = LlamaModel.load(model, k);
        int[] ids = TokenData.fromText(Path.of(a.get("--calib")), Tokenizers.load(model), null, true);
        double[] bi = blockInfluence(m, Windows.first(ids, windows, len, a.get("--calib")));
        int drop = lowest(bi);
        ModelConfig[] cfg = new ModelConfig[1];
        Map<String, Tensor> tensors = withoutLayer(m, drop, cfg);
        AtomicFiles.buildFolder(out, false, dir -> {
            cfg[0].write(dir.resolve(ModelConfig.FILE));
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of());
            for (String f : new String[] {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"})
                if (Files.isRegularFile(model.resolve(f))) Files.copy(model.resolve(f), dir.resolve(f));
        });
        StringBuilder sb = new StringBuilder("{\"block_influence\":[");
        for (int l = 0; l < bi.length; l++) sb.append(l > 0 ? "," : "").append(bi[l]);
        sb.append("],\"dropped\":").append(drop).append(",\"out\":\"").append(out).append("\"}");
        System.out.println(sb);
    }

}
