package org.prune4j.pruning.structured;

/**
 * The structures a structured criterion scores and a plan removes. Each is removed everywhere it appears:
 * a head (q rows, o columns; k/v rows too under MHA), a KV group (its k/v rows and every query head in it), an MLP
 * neuron (gate row, up row, down column), an embedding channel (one hidden-size index in every tensor), a layer.
 * BLOCK scores the blocks of n consecutive layers for {@code --contiguous} (Gromov et al. 2024): entry s is the
 * importance of layers s..s+n-1 (the angular distance between the block's input and output), n set by the target.
 */
public enum UnitKind {
    HEAD, KV_GROUP, NEURON, CHANNEL, LAYER, BLOCK;

    /** True for the kinds scored per decoder layer (one row of scores per layer); CHANNEL, LAYER and BLOCK have one row. */
    public boolean perLayer() { return this == HEAD || this == KV_GROUP || this == NEURON; }
}
