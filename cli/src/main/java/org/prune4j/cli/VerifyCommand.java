package org.prune4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.prune4j.api.Verify;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.verify.CheckpointVerifier;
import org.prune4j.pruning.verify.VerifyReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code verify}: checks a pruned checkpoint (from prune4j or any other tool) against its parent through {@link Verify}; exit 1 names the first violations. */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Check a pruned checkpoint against its dense parent, from prune4j or any other tool.",
                "Rules: config and tensor shapes, tokenizer unchanged, embeddings/norms/head unchanged, per-layer and total sparsity,",
                "N:M where claimed (--expect-nm or prune4j's safetensors metadata), and with --plan every kept unit's weights equal the parent's.",
                "Exit 0 when every rule holds, 1 with the first violations (tensor, row, column, rule)."})
public final class VerifyCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;

    @Option(names = "--dense", required = true, description = "The parent model folder.")
    Path dense;

    @Option(names = "--pruned", required = true, description = "The pruned model folder.")
    Path pruned;

    @Option(names = "--plan", description = "The structured plan the pruned model was made with (prune --plan-out).")
    Path plan;

    @Option(names = "--expect-nm", description = "Claim: every group of M consecutive inputs of every linear row holds at least N zeros (e.g. 2:4).")
    String nm;

    @Option(names = "--expect-sparsity", description = "Claim: each linear weight [R, C] holds at least R * floor(C * S) zeros.")
    Double sparsity;

    @Option(names = "--expect-subnetwork", negatable = true, description = "Claim: every surviving linear weight equals the parent's"
            + " (default: when prune4j's metadata names magnitude or wanda).")
    Boolean subnetwork;

    @Option(names = "--max-violations", defaultValue = "20", description = "Violations printed in full (default: ${DEFAULT-VALUE}).")
    int maxViolations;

    @Override
    public Integer call() throws Exception {
        CheckpointVerifier.Options o;
        try {
            org.prune4j.tensor.NM claim = nm == null ? null : Sparsity.parseNM(nm).nm();
            o = new CheckpointVerifier.Options(plan, claim, sparsity, subnetwork, maxViolations);
        } catch (PruningException e) {
            throw new UsageException(spec.commandLine(), e.getMessage());
        }
        VerifyReport r = Verify.run(dense, pruned, o);
        common.emit(r.text(), r.toJson());
        return r.passed() ? 0 : 1;
    }
}
