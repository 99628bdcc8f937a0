package org.prune4j.autograd;

import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/**
 * A tensor value in a computation recorded on a {@link Tape}, with the gradient d(loss)/d(value) that backward
 * fills in. Leaves are parameters (trainable unless frozen) or constants; the others are op outputs.
 *
 * <p>Gradients accumulate across backward calls for leaves (as in PyTorch: call {@link #zeroGrad()} between steps);
 * op outputs drop theirs as soon as their backward has run, unless {@link #retainGrad()} asked to keep it.
 */
public final class Var {
    private Tensor value;
    private final boolean leaf;
    private boolean requiresGrad;
    private boolean retain;
    private String name;

    /** Accumulated gradient, same shape as value; null until something flows back. */
    Tensor grad;
    /** False while {@link #grad} may alias a tensor someone else holds (copy-on-write before adding to it). */
    boolean gradOwned;

    Var(Tensor value, boolean leaf, boolean requiresGrad, String name) {
        this.value = value;
        this.leaf = leaf;
        this.requiresGrad = requiresGrad;
        this.name = name;
    }

    /** A trainable leaf: backward computes its gradient. */
    public static Var param(Tensor value, String name) {
        return new Var(value, true, true, name);
    }

    /** A leaf that never receives a gradient (inputs, targets, teacher outputs). */
    public static Var constant(Tensor value) {
        return new Var(value, true, false, null);
    }

    public Tensor value() { return value; }

    /** The gradient, or null when nothing flowed back (frozen, unused, or after {@link #zeroGrad()}). */
    public Tensor grad() { return grad; }

    public int[] shape() { return value.shape(); }

    public int size(int dim) { return value.size(dim); }

    public int rank() { return value.rank(); }

    public boolean isLeaf() { return leaf; }

    /** True when backward will produce a gradient for this value. */
    public boolean requiresGrad() { return requiresGrad; }

    /** Freezes (or unfreezes) a leaf parameter: a frozen one gets no gradient and costs no backward work. */
    public Var setFrozen(boolean frozen) {
        if (!leaf) throw new IllegalStateException("only leaf parameters can be frozen; " + this + " is an op output");
        this.requiresGrad = !frozen;
        return this;
    }

    /** Keeps the gradient of an op output after backward (for observing activations' gradients). */
    public Var retainGrad() {
        this.retain = true;
        return this;
    }

    boolean retainsGrad() { return retain || leaf; }

    /**
     * Replaces the value of a leaf (pruned or updated weights); the shape must stay the same so recorded
     * shapes and optimizer state stay valid.
     */
    public void setValue(Tensor v) {
        if (!leaf) throw new IllegalStateException("cannot replace the value of an op output " + this);
        Shapes.requireSame("setValue of " + (name == null ? "variable" : name), value.shape(), v.shape());
        this.value = v;
    }

    /** Forgets the accumulated gradient. */
    public void zeroGrad() {
        grad = null;
        gradOwned = false;
    }

    /** A name for messages (parameters carry their checkpoint name). */
    public String name() { return name; }

    public Var named(String n) {
        this.name = n;
        return this;
    }

    @Override
    public String toString() {
        return (name != null ? name : leaf ? "leaf" : "var") + Shapes.str(value.shape());
    }
}
