package org.prune4j.pruning.structured;

/**
 * The structures a structured criterion scores and a plan removes. Each is removed everywhere it appears:
 * a head (q rows, o columns; k/v rows too under MHA), a KV group (its k/v rows and every query head in it), an MLP
 * neuron (gate row, up row, down column), an embedding channel (one hidden-size index in every tensor), a layer.
 */
public enum UnitKind {
    HEAD, KV_GROUP, NEURON, CHANNEL, LAYER;

    /** True for the kinds scored per decoder layer (one row of scores per layer); CHANNEL and LAYER have one row. */
    public boolean perLayer() { return this == HEAD || this == KV_GROUP || this == NEURON; }
}
