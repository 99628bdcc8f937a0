package org.prune4j.pruning;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import org.prune4j.pruning.criterion.Criterion;
import org.prune4j.tensor.Kernels;

/**
 * Resolves {@code --method}: a built-in name ({@link Methods}), then a {@link PrunerProvider} name found by
 * ServiceLoader, then a fully qualified class name on the class path implementing {@link LinearPruner} (used as
 * it is) or {@link Criterion} (its scores compared within each output row, as Wanda's are), with a public no-arg
 * constructor. User code runs through the same calibration, pipeline and writer as the built-in methods.
 */
public final class Pruners {
    private Pruners() {}

    /** The pruner {@code method} names; {@code perRow} applies to magnitude only. */
    public static LinearPruner create(String method, boolean perRow, Kernels kernels, int threads) {
        if (Methods.NAMES.contains(method)) return Methods.create(method, perRow, kernels, threads);
        ClassLoader cl = loader();
        for (PrunerProvider p : ServiceLoader.load(PrunerProvider.class, cl))
            if (p.name().equals(method)) return p.create(kernels, threads);
        if (method.contains(".")) {
            Class<?> c;
            try {
                c = Class.forName(method, true, cl);
            } catch (ClassNotFoundException e) {
                throw new PruningException("--method " + method + ": no such class on the class path (add its jar to the class path,"
                        + " e.g. PRUNE4J_CLASSPATH for ./prune4j)");
            }
            Object o;
            try {
                o = c.getConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new PruningException("--method " + method + ": cannot be created through a public no-argument constructor: " + e);
            }
            if (o instanceof LinearPruner p) return p;
            if (o instanceof Criterion k) return new ScoreMaskPruner(k, ScoreMaskPruner.Scope.ROW);
            throw new PruningException("--method " + method + ": the class implements neither " + LinearPruner.class.getName() + " nor " + Criterion.class.getName());
        }
        throw new PruningException("--method: unknown pruning method '" + method + "'; use one of " + names()
                + ", or a fully qualified class name implementing LinearPruner or Criterion");
    }

    /** Built-in names, then the names of the providers on the class path. */
    public static List<String> names() {
        List<String> n = new ArrayList<>(Methods.NAMES);
        for (PrunerProvider p : ServiceLoader.load(PrunerProvider.class, loader())) n.add(p.name());
        return n;
    }

    private static ClassLoader loader() {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return cl != null ? cl : Pruners.class.getClassLoader();
    }
}
