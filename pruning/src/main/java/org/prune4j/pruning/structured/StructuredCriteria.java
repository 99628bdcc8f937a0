package org.prune4j.pruning.structured;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The structured criteria by {@code --method} name. Built-ins register here; other criteria (taylor, michel, SCOP)
 * add one line to the static block, or call {@link #register} from library code.
 */
public final class StructuredCriteria {
    private StructuredCriteria() {}

    private static final Map<String, Supplier<StructuredCriterion>> BY_NAME = new LinkedHashMap<>();

    static {
        register("minitron", Minitron::new);
        register("magnitude", MagnitudeUnits::new);
        register("random", RandomUnits::new);
        register("wanda", WandaUnits::new);
        register("taylor", org.prune4j.pruning.structured.gradient.TaylorUnits::new);
        register("michel", org.prune4j.pruning.structured.gradient.MichelHeads::new);
        register("scop", org.prune4j.pruning.structured.scop.ScopCriterion::new);
    }

    /** Adds (or replaces) a criterion under {@code name}. */
    public static synchronized void register(String name, Supplier<StructuredCriterion> factory) {
        BY_NAME.put(name, factory);
    }

    /** The criterion called {@code name}, or an error listing the known ones. */
    public static synchronized StructuredCriterion get(String name) {
        Supplier<StructuredCriterion> f = BY_NAME.get(name);
        if (f == null) throw new StructuredException("--method " + name + " is not a structured criterion (known: " + String.join(", ", BY_NAME.keySet()) + ")");
        return f.get();
    }

    /** Every registered name, in registration order. */
    public static synchronized List<String> names() { return List.copyOf(BY_NAME.keySet()); }
}
