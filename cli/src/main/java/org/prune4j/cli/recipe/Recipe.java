package org.prune4j.cli.recipe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * A recipe file: the model to start from and a list of stages, each one command with that command's own options.
 * YAML (or JSON, which is YAML):
 * <pre>
 * model: ../shared/models/stories260K
 * stages:
 *   - prune: {method: minitron, target: {num_attention_heads: 4}, calib: ../shared/data/text/wikitext2-valid.txt}
 *   - distill: {data: ../shared/data/text/tinystories-train-2mib.txt, steps: 20}
 *   - eval: {text: ../shared/data/text/wikitext2-test.txt, seq-len: 128}
 *   - export: {format: gguf, dtype: f16}
 * </pre>
 * A scalar is one {@code --key value}; {@code true} is the flag {@code --key} ({@code false} its {@code --no-key} form
 * where the command has one, else nothing); a list repeats the option; a mapping repeats it as {@code KEY=VALUE}
 * ({@code target: {num_attention_heads: 4}} is {@code --target num_attention_heads=4}). Input paths are resolved
 * against the recipe's folder, except those starting with {@code $OUT/}, which name a file inside {@code --out} (one
 * an earlier stage wrote). Relative output paths of a stage's own options ({@link #OUTPUT_OPTIONS}) are placed inside
 * that stage's folder under {@code --out}, so a recipe is self-contained. Errors name the file, the stage and the key.
 */
public record Recipe(Path file, Path model, List<Stage> stages) {
    /** The stage kinds a recipe can hold. */
    public static final Set<String> KINDS = Set.of("prune", "distill", "eval", "export");
    /** Options whose values are input paths (resolved against the recipe's folder). */
    public static final Set<String> PATH_OPTIONS = Set.of("calib", "text", "eval", "ratios", "tokenizer", "data", "teacher", "plan");
    /**
     * Options whose values are paths the stage writes besides its model: a relative one resolves inside the stage's
     * own folder {@code --out/NN-kind.files/} ({@link Stage#filesDir}), an absolute one stays as given.
     */
    public static final Map<String, Set<String>> OUTPUT_OPTIONS = Map.of(
            "prune", Set.of("plan-out", "report"),
            "distill", Set.of("lora-save", "teacher-cache", "report"),
            "eval", Set.of(),
            "export", Set.of());
    /** An input path with this prefix names a file inside --out, e.g. {@code $OUT/02-prune.files/plan.json}. */
    public static final String OUT_PREFIX = "$OUT/";
    /** Options the runner sets itself: a stage's input and output, its log and its checkpoints, all inside --out. */
    public static final Map<String, Set<String>> RUNNER_OPTIONS = Map.of(
            "prune", Set.of("model", "out", "json", "force"),
            "eval", Set.of("model", "json"),
            "export", Set.of("model", "out", "json"),
            "distill", Set.of("student", "out", "json", "force", "checkpoint-dir", "resume", "log"));

    /** One option as written: {@code value} is null for a boolean, which {@code flag} then holds. */
    public record Option(String key, String value, boolean flag) {}

    /** One stage: its command and its options in file order. */
    public record Stage(int index, String kind, List<Option> options) {
        public Stage {
            options = List.copyOf(options);
        }

        /** The stage's folder or file stem in the output folder, e.g. {@code 01-prune}. */
        public String id() { return String.format("%02d-%s", index + 1, kind); }

        /** The folder inside --out for the stage's files besides its model (relative output paths), e.g. {@code 02-prune.files}. */
        public String filesDir() { return id() + ".files"; }

        /** The stage's number as people count (1-based). */
        public int number() { return index + 1; }

        /** The value of option {@code key}, or null. */
        public String get(String key) {
            for (Option o : options) if (o.key.equals(key)) return o.value;
            return null;
        }
    }

    public static Recipe read(Path file) throws IOException {
        Object root;
        try {
            root = new Load(LoadSettings.builder().setLabel(file.toString()).build()).loadFromString(Files.readString(file, StandardCharsets.UTF_8));
        } catch (YamlEngineException e) {
            throw new IOException(file + ": not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!(root instanceof Map<?, ?> top)) throw new IOException(file + ": a recipe is a mapping with 'model' and 'stages'");
        for (Object k : top.keySet())
            if (!Set.of("model", "stages").contains(String.valueOf(k))) throw new IOException(file + ": unknown key '" + k + "' (a recipe has model and stages)");
        Path dir = file.toAbsolutePath().getParent();
        if (!(top.get("model") instanceof String model)) throw new IOException(file + ": 'model' must be a model folder path");
        if (!(top.get("stages") instanceof List<?> list) || list.isEmpty()) throw new IOException(file + ": 'stages' must be a non-empty list");
        List<Stage> stages = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String where = file + ": stage " + (i + 1);
            if (!(list.get(i) instanceof Map<?, ?> one) || one.size() != 1)
                throw new IOException(where + ": each stage is a mapping with one key, the command (" + String.join(", ", KINDS) + ")");
            var e = one.entrySet().iterator().next();
            String kind = String.valueOf(e.getKey());
            if (!KINDS.contains(kind)) throw new IOException(where + ": '" + kind + "' is not a stage on this build (stages: " + String.join(", ", KINDS) + ")");
            where += " (" + kind + ")";
            Object opts = e.getValue() == null ? Map.of() : e.getValue();
            if (!(opts instanceof Map<?, ?> options)) throw new IOException(where + ": its options must be a mapping");
            List<Option> out = new ArrayList<>();
            for (var o : options.entrySet()) {
                String key = String.valueOf(o.getKey());
                if (RUNNER_OPTIONS.get(kind).contains(key))
                    throw new IOException(where + ": '" + key + "' is set by the runner (each stage reads the previous stage's model and writes inside --out)");
                Object v = o.getValue();
                if (v instanceof Boolean b) {
                    out.add(new Option(key, null, b));
                } else if (v instanceof Map<?, ?> m) {
                    if (m.isEmpty()) throw new IOException(where + ": key '" + key + "' is an empty mapping");
                    for (var kv : m.entrySet()) out.add(new Option(key, scalar(where, key, kv.getKey()) + "=" + scalar(where, key, kv.getValue()), false));
                } else if (v instanceof List<?> l) {
                    if (l.isEmpty()) throw new IOException(where + ": key '" + key + "' is an empty list");
                    for (Object x : l) out.add(new Option(key, path(dir, key, scalar(where, key, x)), false));
                } else {
                    out.add(new Option(key, path(dir, key, scalar(where, key, v)), false));
                }
            }
            stages.add(new Stage(i, kind, out));
        }
        return new Recipe(file, dir.resolve(model).normalize(), stages);
    }

    private static String scalar(String where, String key, Object v) throws IOException {
        if (v == null) throw new IOException(where + ": key '" + key + "' has no value");
        if (v instanceof Map || v instanceof List) throw new IOException(where + ": key '" + key + "' nests too deep (a value, a list of values or a mapping of KEY: VALUE)");
        return String.valueOf(v);
    }

    private static String path(Path dir, String key, String v) {
        return PATH_OPTIONS.contains(key) && !v.startsWith(OUT_PREFIX) ? dir.resolve(v).normalize().toString() : v;
    }
}
