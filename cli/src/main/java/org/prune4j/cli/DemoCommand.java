package org.prune4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.cli.demo.BpeTrainer;
import org.prune4j.distill.Schedule;
import org.prune4j.distill.TrainLoop;
import org.prune4j.cli.demo.DemoCorpus;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.Comparison;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: the whole engine in one command. With no files, it writes its own story corpus, builds a BPE
 * tokenizer, trains a small Llama-style model with grouped-query attention, then prunes it with magnitude, Wanda and
 * SparseGPT at 50% and 2:4 and prints each one's perplexity on held-out stories. With {@code --model --calib --eval}
 * it prints the same table for a real checkpoint.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a small Llama on a generated corpus (or take --model) and prune it six ways; print the table.",
                "Methods magnitude, Wanda and SparseGPT at 50%% and 2:4, each evaluated by perplexity on held-out text."})
public final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;

    @Option(names = "--model", description = "A Hugging Face model folder to prune instead of training one (needs --calib and --eval).")
    Path model;
    @Option(names = "--calib", description = "Calibration text (or token file) for --model.")
    Path calib;
    @Option(names = "--eval", description = "Evaluation text (or token file) for --model.")
    Path eval;
    @Option(names = "--doc-separator", description = "Split --calib/--eval text into documents at this string (each encoded with BOS).")
    String docSeparator;

    @Option(names = "--calib-samples", defaultValue = "32", description = "Calibration windows (default: ${DEFAULT-VALUE}).")
    int samples;
    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per window, calibration and evaluation (default: ${DEFAULT-VALUE}).")
    int seqLen;
    @Option(names = "--eval-windows", defaultValue = "64", description = "Evaluation windows, the first ones of the text (default: ${DEFAULT-VALUE}).")
    int evalWindows;
    @Option(names = "--calib-sampling", defaultValue = "first", description = "first or random calibration windows (default: ${DEFAULT-VALUE}).")
    String sampling;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the corpus, the model's initialisation, training and random windows (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--steps", defaultValue = "120", description = "Built-in model: training steps (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--hidden", defaultValue = "256", description = "Built-in model: hidden size (default: ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--layers", defaultValue = "4", description = "Built-in model: decoder layers (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--keep", description = "Built-in model: also save the trained model folder and the generated texts here.")
    Path keep;

    static final int VOCAB = 512, HEADS = 8, KV_HEADS = 2, BATCH = 16;

    @Override
    public Integer call() throws Exception {
        boolean real = model != null || calib != null || eval != null;
        if (real && (model == null || calib == null || eval == null)) throw usage("--model, --calib and --eval go together");
        if (seqLen < 2 || samples < 1 || evalWindows < 1) throw usage("--seq-len must be >= 2, --calib-samples and --eval-windows >= 1");
        if (!real && (steps < 1 || hidden < HEADS || hidden % HEADS != 0 || (hidden / HEADS) % 2 != 0 || layers < 1))
            throw usage("--steps and --layers must be >= 1 and --hidden a multiple of " + 2 * HEADS);
        if (keep != null && Files.exists(keep)) throw usage(keep + " already exists");
        CalibrationData.Sampling how;
        try {
            how = CalibrationData.Sampling.parse(sampling);
        } catch (PruningException e) {
            throw usage(e.getMessage());
        }
        Kernels k = device.kernels();
        int threads = k.parallelism();
        long t0 = System.nanoTime();
        Map<String, Object> json = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder();
        List<Comparison.Row> rows;
        if (real) {
            ModelConfig cfg = ModelConfig.read(model);
            try (SafeTensors st = SafeTensors.open(model)) {
                Tokenizer tok = needsTokenizer() ? Tokenizers.load(model) : null;
                int[][] c = windows(calib, tok, docSeparator, cfg.vocabSize(), samples, how);
                int[][] e = windows(eval, tok, docSeparator, cfg.vocabSize(), evalWindows, CalibrationData.Sampling.FIRST);
                common.log().printf("demo: %s, calibration %d x %d tokens of %s, evaluation %d x %d tokens of %s%n", model, c.length, seqLen,
                        calib.getFileName(), e.length, seqLen, eval.getFileName());
                rows = Comparison.run(cfg, TensorSource.of(st), c, e, Comparison.standardTrials(), k, threads, 8, common.log());
                text.append(String.format("%s (%s), pruned with %d calibration windows of %d tokens of %s, evaluated on %d windows of %s:%n%n",
                        model.getFileName(), cfg.architecture(), c.length, seqLen, calib.getFileName(), e.length, eval.getFileName()));
                json.put("model", model.toString());
            }
        } else {
            rows = builtIn(k, threads, how, text, json);
        }
        text.append(Comparison.table(rows));
        double seconds = (System.nanoTime() - t0) / 1e9;
        text.append(String.format(Locale.ROOT, "%ntotal %.1f s on %s%s", seconds, k.name(), real ? "" : "; perplexity on held-out stories from the same grammar"));
        List<Object> out = new ArrayList<>();
        for (Comparison.Row r : rows) out.add(org.prune4j.cli.report.SweepReport.rowJson(r));
        json.put("rows", out);
        json.put("seconds", seconds);
        common.emit(text.toString(), json);
        return 0;
    }

    private boolean needsTokenizer() {
        return !CalibrationData.isTokenFile(calib) || !CalibrationData.isTokenFile(eval);
    }

    private int[][] windows(Path file, Tokenizer tok, String sep, int vocab, int n, CalibrationData.Sampling how) throws IOException {
        int[] ids = CalibrationData.tokens(file, CalibrationData.isTokenFile(file) ? null : tok, sep, vocab);
        return CalibrationData.windows(ids, n, seqLen, how, seed, file.toString());
    }

    /** Corpus, tokenizer, training, then the table on the trained model. */
    private List<Comparison.Row> builtIn(Kernels k, int threads, CalibrationData.Sampling how, StringBuilder text, Map<String, Object> json) throws IOException {
        Path work = Files.createTempDirectory("prune4j-demo-");
        try {
            long t0 = System.nanoTime();
            // three texts from one grammar: training, calibration and held-out evaluation stories
            int evalChars = evalWindows * seqLen * 5, calibChars = samples * seqLen * 5;
            String trainText = DemoCorpus.generate(seed, Math.max(600_000, steps * BATCH * seqLen * 3));
            Files.writeString(work.resolve("train.txt"), trainText);
            Files.writeString(work.resolve("calib.txt"), DemoCorpus.generate(seed + 1_000_003L, calibChars));
            Files.writeString(work.resolve("eval.txt"), DemoCorpus.generate(seed + 2_000_006L, evalChars));
            Path modelDir = work.resolve("model");
            Files.createDirectories(modelDir);
            Files.writeString(modelDir.resolve("tokenizer.json"), BpeTrainer.train(TokenData.documents(trainText, DemoCorpus.SEPARATOR), VOCAB));
            Tokenizer tok = Tokenizers.load(modelDir.resolve("tokenizer.json"));
            int[] train = TokenData.fromText(work.resolve("train.txt"), tok, DemoCorpus.SEPARATOR, true);
            int[][] calibW = windows(work.resolve("calib.txt"), tok, DemoCorpus.SEPARATOR, tok.vocabSize(), samples, how);
            int[][] evalW = windows(work.resolve("eval.txt"), tok, DemoCorpus.SEPARATOR, tok.vocabSize(), evalWindows, CalibrationData.Sampling.FIRST);
            common.log().printf(Locale.ROOT, "demo: corpus of %,d characters (%,d tokens, BPE vocabulary %d) in %.1f s%n", trainText.length(), train.length,
                    tok.vocabSize(), (System.nanoTime() - t0) / 1e9);

            int inter = (int) Math.ceil(8.0 * hidden / 3 / 64) * 64; // a multiple of 8, so 2:4 and 4:8 both apply
            ModelConfig cfg = ModelConfig.builder("LlamaForCausalLM").hiddenSize(hidden).vocabSize(tok.vocabSize()).numLayers(layers)
                    .numHeads(HEADS).numKvHeads(KV_HEADS).intermediateSize(inter).rmsNormEps(1e-5).ropeTheta(10000)
                    .tieWordEmbeddings(true).maxPositionEmbeddings(Math.max(seqLen, 512)).torchDtype("float32")
                    .bosTokenId(BpeTrainer.BOS_ID).eosTokenIds(BpeTrainer.EOS_ID).build();
            LlamaModel m = LlamaModel.random(cfg, seed, 0.02f, k);
            common.log().printf(Locale.ROOT, "demo: training a %,d-parameter Llama (hidden %d, %d layers, %d query heads sharing %d key/value heads, MLP %d)"
                    + " for %d steps of %d x %d tokens%n", m.parameterCount(), hidden, layers, HEADS, KV_HEADS, inter, steps, BATCH, seqLen);
            long tt = System.nanoTime();
            TrainLoop.Settings settings = new TrainLoop.Settings(steps, 3e-3, 3e-4, Schedule.COSINE, Math.max(1, steps / 20), 0, 0.1, false,
                    0.9, 0.95, 1e-8, 1, 1.0, seed);
            ProgressLine progress = new ProgressLine(common.log(), "train", (long) steps * BATCH * seqLen, "tokens", false);
            TrainLoop.Step last = TrainLoop.languageModel(m, train, BATCH, seqLen, settings, "demo corpus").run(s -> {
                if (s.step() == 1 || s.step() % 50 == 0 || s.step() == steps)
                    common.log().printf(Locale.ROOT, "train: step %d/%d loss %.3f%n", s.step(), steps, s.loss());
                progress.update(s.tokens());
            }, null, 0);
            double trainSeconds = (System.nanoTime() - tt) / 1e9;
            m.setTrainable(false);
            if (keep != null) save(m, cfg, modelDir, work);

            List<Comparison.Row> rows = Comparison.run(cfg, TensorSource.of(m.namedTensors()), calibW, evalW, Comparison.standardTrials(), k, threads, 8, common.log());
            text.append(String.format(Locale.ROOT, "trained a %,d-parameter Llama-style model with grouped-query attention (%d query / %d key-value heads)%n"
                            + "on %,d tokens of generated stories in %.1f s (final training loss %.3f); pruned with %d calibration windows of %d tokens,%n"
                            + "evaluated on %d held-out windows:%n%n", m.parameterCount(), HEADS, KV_HEADS, last.tokens(), trainSeconds, last.loss(),
                    calibW.length, seqLen, evalW.length));
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("parameters", m.parameterCount());
            info.put("train_tokens", last.tokens());
            info.put("train_seconds", trainSeconds);
            info.put("train_loss", last.loss());
            if (keep != null) info.put("saved", keep.toString());
            json.put("model", info);
            return rows;
        } finally {
            AtomicFiles.deleteTree(work);
        }
    }

    /** --keep: the trained model as a Hugging Face folder, plus the three texts. */
    private void save(LlamaModel m, ModelConfig cfg, Path modelDir, Path work) throws IOException {
        AtomicFiles.buildFolder(keep, false, dir -> {
            Path md = dir.resolve("model");
            Files.createDirectories(md);
            cfg.write(md.resolve(ModelConfig.FILE));
            SafeTensorsWriter.write(md.resolve("model.safetensors"), m.namedTensors(), Map.of());
            Files.copy(modelDir.resolve("tokenizer.json"), md.resolve("tokenizer.json"));
            for (String f : new String[] {"train.txt", "calib.txt", "eval.txt"}) Files.copy(work.resolve(f), dir.resolve(f));
        });
        common.log().println("demo: saved the trained model to " + keep.resolve("model") + " and its texts to " + keep);
    }

    private UsageException usage(String msg) {
        return new UsageException(spec.commandLine(), msg);
    }
}
