package org.prune4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.api.TokenizerFiles;
import org.prune4j.distill.Schedule;
import org.prune4j.distill.TrainLoop;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code train}: a small Llama trained from scratch on a text file with an existing tokenizer (or, with --init, an
 * existing model trained further: continued LM training, e.g. GQA uptraining), saved as a Hugging Face folder
 * (config.json, model.safetensors, the tokenizer files) that appears atomically.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a small Llama from scratch on a text file; writes a Hugging Face model folder.")
public final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;

    @Option(names = "--text", required = true, description = "UTF-8 training text.")
    Path text;
    @Option(names = "--tokenizer", description = "Tokenizer file (tokenizer.json / tokenizer.model) or a folder holding one (default with --init: the model's).")
    Path tokenizer;
    @Option(names = "--init", description = "Continue training this model folder instead of a fresh one (the shape options are then ignored).")
    Path init;
    @Option(names = "--out", required = true, description = "Output model folder (must not exist unless --force).")
    Path out;
    @Option(names = "--force", description = "Replace an existing output folder.")
    boolean force;
    @Option(names = "--doc-separator", description = "Split the text into documents at this string (each encoded with BOS).")
    String docSeparator;

    @Option(names = "--hidden", defaultValue = "64", description = "Hidden size (default ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--layers", defaultValue = "4", description = "Decoder layers (default ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--heads", defaultValue = "4", description = "Query heads (default ${DEFAULT-VALUE}).")
    int heads;
    @Option(names = "--kv-heads", description = "Key/value heads (default: as many as query heads).")
    Integer kvHeads;
    @Option(names = "--intermediate", description = "MLP width (default: 8/3 of hidden rounded up to a multiple of 32).")
    Integer intermediate;
    @Option(names = "--rope-theta", defaultValue = "10000", description = "RoPE base (default ${DEFAULT-VALUE}).")
    double ropeTheta;
    @Option(names = "--untied", description = "Give the output head its own weights instead of tying it to the embedding.")
    boolean untied;

    @Option(names = "--seq-len", defaultValue = "128", description = "Training window in tokens (default ${DEFAULT-VALUE}).")
    int seqLen;
    @Option(names = "--batch", defaultValue = "16", description = "Windows per step (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--steps", defaultValue = "500", description = "Optimisation steps (default ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--lr", defaultValue = "3e-3", description = "Peak learning rate (default ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--min-lr", description = "Final learning rate of the cosine decay (default: lr / 10).")
    Double minLr;
    @Option(names = "--warmup", description = "Linear warm-up steps (default: 5%% of the steps).")
    Integer warmup;
    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW weight decay on matrices (default ${DEFAULT-VALUE}).")
    double weightDecay;
    @Option(names = "--grad-clip", defaultValue = "1.0", description = "Global gradient-norm limit, 0 = off (default ${DEFAULT-VALUE}).")
    double gradClip;
    @Option(names = "--init-std", defaultValue = "0.02", description = "Std of the initial weights (Hugging Face's initializer_range; default ${DEFAULT-VALUE}).")
    float initStd;
    @Option(names = "--val-fraction", defaultValue = "0.05", description = "Tail of the token stream held out for validation (default ${DEFAULT-VALUE}).")
    double valFraction;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of initialisation and batches (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        if (hidden < 2 || layers < 1 || heads < 1) throw new UsageException(cl, "--hidden, --layers and --heads must be positive");
        int kv = kvHeads != null ? kvHeads : heads;
        if (hidden % heads != 0) throw new UsageException(cl, "--hidden " + hidden + " must be a multiple of --heads " + heads);
        if ((hidden / heads) % 2 != 0) throw new UsageException(cl, "head size " + hidden / heads + " (hidden / heads) must be even for rotary embeddings");
        if (kv < 1 || heads % kv != 0) throw new UsageException(cl, "--heads " + heads + " must be a multiple of --kv-heads " + kv);
        if (!(valFraction >= 0 && valFraction < 1)) throw new UsageException(cl, "--val-fraction must be in [0, 1), got " + valFraction);
        if (Files.exists(out) && !force) throw new UsageException(cl, out + " already exists (use --force to replace it)");
        int inter = intermediate != null ? intermediate : (int) Math.ceil(8.0 * hidden / 3 / 32) * 32;
        double minLearningRate = minLr != null ? minLr : lr / 10;
        int warm = warmup != null ? warmup : Math.max(1, steps / 20);
        TrainLoop.Settings settings;
        try {
            if (batch < 1 || seqLen < 2) throw new IllegalArgumentException("need --batch >= 1 and --seq-len >= 2; got " + batch + ", " + seqLen);
            settings = new TrainLoop.Settings(steps, lr, minLearningRate, Schedule.COSINE, warm, 0, weightDecay, false, 0.9, 0.95, 1e-8, 1, gradClip, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException(cl, e.getMessage());
        }

        if (tokenizer == null && init == null) throw new UsageException(cl, "--tokenizer is required unless --init gives a model folder");
        if (tokenizer == null) tokenizer = init;
        Tokenizer tok = Tokenizers.load(tokenizer);
        int[] ids = TokenData.fromText(text, tok, docSeparator, true);
        int valTokens = (int) (ids.length * valFraction);
        if (valTokens > 0 && valTokens < seqLen) valTokens = Math.min(ids.length / 2, seqLen); // room for one window
        int[] train = Arrays.copyOf(ids, ids.length - valTokens), val = Arrays.copyOfRange(ids, ids.length - valTokens, ids.length);
        if (train.length < seqLen) throw new IllegalArgumentException(text + ": " + train.length + " training tokens, fewer than one window of " + seqLen);

        ModelConfig.Builder b = ModelConfig.builder("LlamaForCausalLM").hiddenSize(hidden).vocabSize(tok.vocabSize()).numLayers(layers)
                .numHeads(heads).numKvHeads(kv).intermediateSize(inter).rmsNormEps(1e-5).ropeTheta(ropeTheta)
                .tieWordEmbeddings(!untied).maxPositionEmbeddings(Math.max(seqLen, 2048)).torchDtype("float32")
                .bosTokenId(tok.bosId() >= 0 ? tok.bosId() : null);
        b = tok.eosId() >= 0 ? b.eosTokenIds(tok.eosId()) : b.eosTokenIds();
        LlamaModel model = init != null ? LlamaModel.load(init, device.kernels()) : LlamaModel.random(b.build(), seed, initStd, device.kernels());
        ModelConfig cfg = model.config();
        if (init != null) TokenData.checkIds(ids, cfg.vocabSize(), text.toString());
        common.log().printf("train: %s, %,d parameters; %,d training tokens, %,d held out%n", cfg, model.parameterCount(), train.length, val.length);

        ProgressLine progress = new ProgressLine(common.log(), "train", (long) steps * batch * seqLen, "tokens", false);
        double[] lastLoss = {Double.NaN};
        TrainLoop.Step last = TrainLoop.languageModel(model, train, batch, seqLen, settings, text.toString()).run(s -> {
            lastLoss[0] = s.loss();
            if (s.step() == 1 || s.step() % 10 == 0 || s.step() == steps)
                common.log().printf("train: step %d/%d loss %.4f lr %.2e grad-norm %.3f%n", s.step(), steps, s.loss(), s.lr(), s.gradNorm());
            progress.update(s.tokens());
        }, null, 0);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("out", out.toString());
        result.put("parameters", model.parameterCount());
        result.put("steps", last.step());
        result.put("tokens", last.tokens());
        result.put("train_loss", last.loss());
        if (val.length >= Math.min(seqLen, 2) && val.length >= 2) {
            int len = Math.min(seqLen, val.length);
            Perplexity.Result r = Perplexity.evaluate(model, Windows.first(val, 0, len), batch, null);
            result.put("val_nll", r.nll());
            result.put("val_ppl", r.ppl());
        }
        save(model, cfg);
        common.emit(String.format("trained %,d parameters for %d steps: last train loss %.4f%s; saved %s", model.parameterCount(), last.step(), last.loss(),
                result.containsKey("val_nll") ? String.format(", validation nll %.4f (ppl %.2f)", result.get("val_nll"), result.get("val_ppl")) : "", out), result);
        return 0;
    }

    /** config.json, model.safetensors and the tokenizer files, in a folder that appears at once. */
    private void save(LlamaModel model, ModelConfig cfg) throws IOException {
        AtomicFiles.buildFolder(out, force, dir -> {
            cfg.write(dir.resolve(ModelConfig.FILE));
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), model.namedTensors(), Map.of());
            TokenizerFiles.copy(tokenizer, dir);
        });
    }
}
