package org.prune4j.pruning.verify;

import java.util.LinkedHashMap;
import java.util.Map;

/** The names of the rules {@link CheckpointVerifier} checks, as violations and reports print them. */
public final class Rules {
    private Rules() {}

    /** config.json reads, and (without a plan) has the parent's shapes; with a plan, the shapes the plan implies. */
    public static final String CONFIG = "config";
    /** Every tensor the config implies is present, with the shape it implies; no tensor the parent lacks. */
    public static final String SHAPE = "shape";
    /** The tokenizer files are those of the parent (same bytes, or the same ids on a probe text). */
    public static final String TOKENIZER = "tokenizer";
    /** Tensors pruning does not touch (embeddings, norms, output head, biases) equal the parent's. */
    public static final String UNCHANGED = "unchanged";
    /** In every row, each group of M consecutive inputs of a linear weight holds at least N zeros. */
    public static final String NM = "nm";
    /** Each linear weight [R, C] holds at least R * floor(C * S) zeros (the fewest any granularity prunes). */
    public static final String SPARSITY = "sparsity";
    /** Every non-zero weight of a linear equals the parent's (criteria without reconstruction). */
    public static final String SUBNETWORK = "subnetwork";
    /** The plan was made for this parent (fingerprint and shapes). */
    public static final String PLAN_SOURCE = "plan-source";
    /** Every kept unit's weights equal the parent's (the mean of the parent's where KV heads were pooled). */
    public static final String KEPT_UNIT = "kept-unit";

    /** Each rule with its one-line description, in the order above (help texts, reports). */
    public static Map<String, String> all() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(CONFIG, "config.json has the parent's shapes (with --plan: the shapes the plan implies)");
        m.put(SHAPE, "every tensor the config implies is present with the implied shape, none the parent lacks");
        m.put(TOKENIZER, "tokenizer files equal the parent's (bytes, or ids on a probe text)");
        m.put(UNCHANGED, "embeddings, norms, output head and biases equal the parent's");
        m.put(NM, "every group of M consecutive inputs in a row of a linear weight holds at least N zeros");
        m.put(SPARSITY, "each linear weight [R, C] holds at least R * floor(C * S) zeros");
        m.put(SUBNETWORK, "every non-zero weight of a linear equals the parent's");
        m.put(PLAN_SOURCE, "the plan was made for this parent");
        m.put(KEPT_UNIT, "every kept unit's weights equal the parent's (mean-pooled KV heads: the parent's mean)");
        return m;
    }
}
