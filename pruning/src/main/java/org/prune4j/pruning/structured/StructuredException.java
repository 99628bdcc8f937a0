package org.prune4j.pruning.structured;

import org.prune4j.pruning.PruningException;

/**
 * A structured pruning job that cannot run as asked: a target larger than the current size, heads that do not split
 * into the KV groups, an unknown config key, a plan made for another model, non-finite scores. The message names the
 * key (or file) and the rule; nothing is written.
 */
public final class StructuredException extends PruningException {
    public StructuredException(String message) {
        super(message);
    }
}
