package org.prune4j.api;

import java.io.IOException;
import java.nio.file.Path;
import org.prune4j.pruning.verify.CheckpointVerifier;
import org.prune4j.pruning.verify.VerifyReport;

/** Checks a pruned checkpoint against its parent ({@code verify}); a broken rule is in the report, not an exception. */
public final class Verify {
    private Verify() {}

    /**
     * Verifies {@code pruned} against its parent {@code dense}.
     *
     * @param dense the parent model folder
     * @param pruned the pruned model folder
     * @param o the rules to check ({@code --plan}, {@code --expect-nm}, {@code --expect-sparsity}, ...)
     * @return the report; {@link VerifyReport#passed()} says whether every rule held
     */
    public static VerifyReport run(Path dense, Path pruned, CheckpointVerifier.Options o) {
        try {
            return CheckpointVerifier.verify(dense, pruned, o);
        } catch (IOException | RuntimeException e) {
            throw Prune4jException.wrap(e);
        }
    }
}
