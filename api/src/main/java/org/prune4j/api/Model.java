package org.prune4j.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.CheckpointPruner;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;

/**
 * A loaded Hugging Face model folder. Load and save are the API's first and last step.
 *
 * @param dir the folder it came from
 * @param model the model, computing with the {@link Kernels} it was loaded with
 * @param tokenizer its tokenizer, or null when the folder has none
 */
public record Model(Path dir, LlamaModel model, Tokenizer tokenizer) {

    /**
     * Loads {@code dir} (config.json, *.safetensors, tokenizer) on the Vector API backend with every core.
     *
     * @param dir the model folder
     * @return the model
     */
    public static Model load(Path dir) {
        return load(dir, new VectorKernels(Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Loads {@code dir} computing with {@code kernels} (e.g. {@code Backends.select("opencl", threads)} from prune4j-opencl).
     *
     * @param dir the model folder
     * @param kernels what the model computes with
     * @return the model
     */
    public static Model load(Path dir, Kernels kernels) {
        try {
            LlamaModel m = LlamaModel.load(dir, kernels);
            Tokenizer tok = null;
            for (String f : CheckpointPruner.TOKENIZER_FILES)
                if ((f.equals("tokenizer.json") || f.equals("tokenizer.model")) && Files.isRegularFile(dir.resolve(f))) tok = Tokenizers.load(dir);
            return new Model(dir, m, tok);
        } catch (IOException | RuntimeException e) {
            throw Prune4jException.wrap(e);
        }
    }

    /**
     * The tokenizer, or an error naming the folder when it has none.
     *
     * @return the tokenizer
     */
    public Tokenizer requireTokenizer() {
        if (tokenizer == null) throw new Prune4jException.BadInput(dir + ": no tokenizer.json or tokenizer.model", null);
        return tokenizer;
    }

    /**
     * Saves the model's current weights (F32) as a Hugging Face folder {@code out}: config.json, model.safetensors and
     * the tokenizer files of {@code dir}; the folder appears atomically.
     *
     * @param out the folder to write
     * @param replace replace an existing folder (else one is refused)
     */
    public void save(Path out, boolean replace) {
        try {
            AtomicFiles.buildFolder(out, replace, tmp -> {
                model.config().write(tmp.resolve(ModelConfig.FILE));
                SafeTensorsWriter.write(tmp.resolve("model.safetensors"), model.namedTensors(), Map.of("saved_by", "prune4j"));
                for (String f : CheckpointPruner.TOKENIZER_FILES)
                    if (Files.isRegularFile(dir.resolve(f))) Files.copy(dir.resolve(f), tmp.resolve(f));
            });
        } catch (IOException | RuntimeException e) {
            throw Prune4jException.wrap(e);
        }
    }
}
