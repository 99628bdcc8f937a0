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
 *   - prune: {method: wanda, nm: "2:4", calib: ../shared/data/text/wikitext2-valid.txt}
 *   - eval: {text: ../shared/data/text/wikitext2-test.txt, seq-len: 128}
 *   - export: {format: gguf, dtype: f16}
 * </pre>
 * Relative paths are resolved against the recipe's folder. Errors name the file, the stage and the rule.
 */
public record Recipe(Path file, Path model, List<Stage> stages) {
    /** The stage kinds a recipe can hold: the commands that exist on this branch. */
    public static final Set<String> KINDS = Set.of("prune", "eval", "export");
    /** Options whose values are paths (resolved against the recipe's folder). */
    static final Set<String> PATH_OPTIONS = Set.of("calib", "text", "eval", "ratios", "tokenizer");
    /** Options the runner sets itself (a stage's input and output). */
    static final Set<String> RUNNER_OPTIONS = Set.of("model", "out", "json", "force");

    /** One stage: its command and its options as command-line arguments ({@code --key value}, {@code --flag}). */
    public record Stage(int index, String kind, List<String> args) {
        /** The stage's folder or file stem in the output folder, e.g. {@code 01-prune}. */
        public String id() { return String.format("%02d-%s", index + 1, kind); }
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
            Object opts = e.getValue() == null ? Map.of() : e.getValue();
            if (!(opts instanceof Map<?, ?> options)) throw new IOException(where + " (" + kind + "): its options must be a mapping");
            List<String> args = new ArrayList<>();
            for (var o : options.entrySet()) {
                String key = String.valueOf(o.getKey());
                if (RUNNER_OPTIONS.contains(key)) throw new IOException(where + " (" + kind + "): '" + key + "' is set by the runner (each stage reads the previous stage's model)");
                Object v = o.getValue();
                if (v instanceof Boolean b) {
                    if (b) args.add("--" + key);
                } else if (v instanceof Map || v instanceof List) {
                    throw new IOException(where + " (" + kind + "): option '" + key + "' must be a scalar");
                } else {
                    String s = String.valueOf(v);
                    if (PATH_OPTIONS.contains(key)) s = dir.resolve(s).normalize().toString();
                    args.add("--" + key);
                    args.add(s);
                }
            }
            stages.add(new Stage(i, kind, args));
        }
        return new Recipe(file, dir.resolve(model).normalize(), stages);
    }
}
