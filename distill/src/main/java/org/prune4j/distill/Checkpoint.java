package org.prune4j.distill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.prune4j.autograd.AdamW;
import org.prune4j.autograd.Var;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;
import org.prune4j.io.json.JsonException;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.tensor.Tensor;

/**
 * A resumable training state in one folder, replaced atomically each time ({@link AtomicFiles#buildFolder}): a
 * run killed at any moment leaves the previous complete checkpoint or the new one, never a mix.
 * <ul>
 * <li>{@code state.json}: format, run id, step, the next micro-batch (data position), the seed, each parameter's
 *     AdamW step count and the last loss;</li>
 * <li>{@code params.safetensors}: every trained parameter (student, projections) in F32, by name;</li>
 * <li>{@code optimizer.safetensors}: {@code NAME.exp_avg} and {@code NAME.exp_avg_sq} (PyTorch's AdamW state names).</li>
 * </ul>
 * The random state is a function of (seed, micro-batch index), so the step and seed restore it exactly.
 */
public final class Checkpoint {
    private Checkpoint() {}

    static final String FORMAT = "prune4j-train-checkpoint-1";
    static final String STATE = "state.json", PARAMS = "params.safetensors", OPTIMIZER = "optimizer.safetensors";

    /** What a checkpoint says besides tensors. */
    record State(String runId, int step, long dataPosition, long seed, double loss, Map<String, Long> optimizerSteps) {}

    static void save(Path dir, State st, Map<String, Var> params, AdamW opt) throws IOException {
        Map<String, Tensor> values = new LinkedHashMap<>(), moments = new LinkedHashMap<>();
        Map<String, Object> steps = new LinkedHashMap<>();
        params.forEach((name, p) -> {
            values.put(name, p.value());
            AdamW.Moments m = opt.moments(p);
            if (m != null) {
                moments.put(name + ".exp_avg", Tensor.of(m.m(), p.shape()));
                moments.put(name + ".exp_avg_sq", Tensor.of(m.v(), p.shape()));
                steps.put(name, m.t());
            }
        });
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", FORMAT);
        json.put("run_id", st.runId());
        json.put("step", (long) st.step());
        json.put("data_position", st.dataPosition());
        json.put("seed", st.seed());
        json.put("loss", Double.isFinite(st.loss()) ? st.loss() : null);
        json.put("optimizer_steps", steps);
        AtomicFiles.buildFolder(dir, true, tmp -> {
            SafeTensorsWriter.write(tmp.resolve(PARAMS), values, Map.of("format", FORMAT));
            SafeTensorsWriter.write(tmp.resolve(OPTIMIZER), moments, Map.of("format", FORMAT));
            Files.writeString(tmp.resolve(STATE), Json.writePretty(json, 2) + "\n");
        });
    }

    /** Reads the state of {@code dir}; a folder that is not such a checkpoint is an IOException saying why. */
    static State readState(Path dir) throws IOException {
        Path f = dir.resolve(STATE);
        if (!Files.isRegularFile(f)) throw new IOException(dir + ": not a training checkpoint (no " + STATE + ")");
        Map<String, Object> j;
        try {
            j = Json.parseObject(Files.readString(f), true);
        } catch (JsonException e) {
            throw new IOException(f + ": not valid JSON: " + e.getMessage());
        }
        if (!FORMAT.equals(j.get("format"))) throw new IOException(f + ": format is " + j.get("format") + ", expected " + FORMAT);
        Map<String, Long> steps = new LinkedHashMap<>();
        if (j.get("optimizer_steps") instanceof Map<?, ?> m) m.forEach((k, v) -> steps.put((String) k, ((Number) v).longValue()));
        Object loss = j.get("loss");
        return new State((String) j.get("run_id"), ((Number) j.get("step")).intValue(), ((Number) j.get("data_position")).longValue(),
                ((Number) j.get("seed")).longValue(), loss instanceof Number n ? n.doubleValue() : Double.NaN, steps);
    }

    /** Copies the saved parameters and moments into {@code params} and {@code opt}; every parameter must be there. */
    static void restore(Path dir, State st, Map<String, Var> params, AdamW opt) throws IOException {
        try (SafeTensors p = SafeTensors.open(dir.resolve(PARAMS)); SafeTensors o = SafeTensors.open(dir.resolve(OPTIMIZER))) {
            for (Map.Entry<String, Var> e : params.entrySet()) {
                String name = e.getKey();
                Var v = e.getValue();
                if (!p.contains(name)) throw new IOException(dir.resolve(PARAMS) + ": missing parameter " + name);
                Tensor saved = p.get(name);
                if (!java.util.Arrays.equals(saved.shape(), v.shape()))
                    throw new IOException(dir.resolve(PARAMS) + ": " + name + " has shape " + java.util.Arrays.toString(saved.shape()) + ", the model " + java.util.Arrays.toString(v.shape()));
                v.value().copyFrom(saved);
                Long t = st.optimizerSteps().get(name);
                if (t != null) {
                    if (!o.contains(name + ".exp_avg") || !o.contains(name + ".exp_avg_sq"))
                        throw new IOException(dir.resolve(OPTIMIZER) + ": missing the moments of " + name);
                    opt.restore(v, new AdamW.Moments(o.get(name + ".exp_avg").toFloatArray(), o.get(name + ".exp_avg_sq").toFloatArray(), t));
                }
            }
        }
    }
}
