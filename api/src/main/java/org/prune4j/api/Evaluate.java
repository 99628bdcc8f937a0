package org.prune4j.api;

import java.io.IOException;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.transformer.Perplexity;

/** Perplexity of a model on a text: mean next-token NLL over every predicted position of each window ({@code eval}). */
public final class Evaluate {
    private Evaluate() {}

    /**
     * The result of an evaluation.
     *
     * @param nll mean next-token NLL in nats per predicted position
     * @param ppl its exponential, the perplexity
     * @param tokens how many positions were predicted
     * @param windows in how many windows
     */
    public record Result(double nll, double ppl, long tokens, int windows) {}

    /**
     * Evaluates {@code m} on {@code o.text()}, encoded with {@code m}'s tokenizer.
     *
     * @param m the model
     * @param o the options
     * @param listener receives {@code progress("eval", windows, total)}
     * @return the mean NLL and perplexity
     */
    public static Result run(Model m, EvalOptions o, ProgressListener listener) {
        try {
            int[] ids = TokenData.fromText(o.text(), m.requireTokenizer(), o.docSeparator(), true);
            TokenData.checkIds(ids, m.model().config().vocabSize(), o.text().toString());
            int[][] w = Windows.first(ids, o.windows(), o.seqLen(), o.text().toString());
            Perplexity.Result r = Perplexity.evaluate(m.model(), w, o.batch(), (done, all) -> listener.progress("eval", done, all));
            return new Result(r.nll(), r.ppl(), r.tokens(), w.length);
        } catch (IOException | RuntimeException e) {
            throw Prune4jException.wrap(e);
        }
    }
}
