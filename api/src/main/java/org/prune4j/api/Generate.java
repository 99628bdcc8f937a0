package org.prune4j.api;

import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.transformer.Generator;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Sampler;

/** Text generation with the KV cache ({@code generate}): BOS (when the tokenizer has one), the prompt, then sampled tokens. */
public final class Generate {
    private Generate() {}

    /**
     * What was generated.
     *
     * @param tokens every token, BOS and prompt included
     * @param text their decoded text
     */
    public record Result(int[] tokens, String text) {}

    /**
     * Continues {@code o.prompt()} for {@code o.steps()} tokens.
     *
     * @param m the model and its tokenizer
     * @param o the options
     * @param listener receives {@code progress("generate", tokens, steps)}
     * @return the tokens and the text
     */
    public static Result run(Model m, GenerateOptions o, ProgressListener listener) {
        try {
            Tokenizer tok = m.requireTokenizer();
            LlamaModel model = m.model();
            int bos = tok.bosId() >= 0 ? tok.bosId() : model.config().bosTokenId() != null ? model.config().bosTokenId() : -1;
            int[] text = tok.encode(o.prompt());
            int[] prompt = bos < 0 ? text : prepend(bos, text);
            if (prompt.length == 0) throw new Prune4jException.InvalidOptions("the tokenizer has no BOS token, so generation needs a non-empty --prompt");
            for (int id : prompt)
                if (id >= model.config().vocabSize())
                    throw new Prune4jException.BadInput("prompt token " + id + " is outside the model's vocabulary of " + model.config().vocabSize(), null);
            int[] eos = null;
            if (o.stopAtEos()) {
                eos = model.config().eosTokenIds();
                if (eos.length == 0) eos = tok.eosId() >= 0 ? new int[] {tok.eosId()} : new int[0];
            }
            long[] n = {0};
            int[] gen = new Generator(model).generate(prompt, o.steps(), new Sampler(o.temperature(), o.topP(), o.seed()), eos,
                    t -> listener.progress("generate", ++n[0], o.steps()));
            int[] all = new int[prompt.length + gen.length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(gen, 0, all, prompt.length, gen.length);
            return new Result(all, tok.decode(all));
        } catch (RuntimeException e) {
            throw Prune4jException.wrap(e);
        }
    }

    private static int[] prepend(int first, int[] rest) {
        int[] r = new int[rest.length + 1];
        r[0] = first;
        System.arraycopy(rest, 0, r, 1, rest.length);
        return r;
    }
}
