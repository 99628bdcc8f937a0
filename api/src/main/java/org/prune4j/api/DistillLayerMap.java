package org.prune4j.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.structured.Fingerprint;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.PlanJson;
import org.prune4j.pruning.structured.SourceLayers;

/**
 * The default teacher layer of each student layer for {@code distill --hidden-loss}, when no {@code --layer-map} is
 * given: the kept layers' source indices from {@code --plan FILE}, else from the student's safetensors metadata
 * (which {@code prune --target} writes), else the identity when the depths match. A plan or metadata made from
 * another model than the teacher is refused, since its indices would name the wrong layers.
 */
final class DistillLayerMap {
    private DistillLayerMap() {}

    /** The map and where it came from (for the log and the run's recipe). */
    record Resolved(int[] map, String from) {}

    /**
     * Resolves the map for {@code studentLayers} student layers against a teacher folder with {@code teacherLayers}
     * layers; {@code plan} may be null. Throws {@link IllegalArgumentException} naming the file and the rule.
     */
    static Resolved resolve(Path plan, Path student, int studentLayers, Path teacher, int teacherLayers) throws IOException {
        int[] map;
        String from, fingerprint;
        if (plan != null) {
            Plan p = PlanJson.read(plan);
            map = SourceLayers.of(p);
            fingerprint = p.source().fingerprint();
            from = "plan " + plan;
            if (p.source().numLayers() != teacherLayers)
                throw new IllegalArgumentException("--plan " + plan + " was made for a model of " + p.source().numLayers() + " layers; the teacher (" + teacher + ") has " + teacherLayers);
        } else {
            Map<String, String> meta;
            try (SafeTensors st = SafeTensors.open(student)) {
                meta = st.metadata();
            }
            if (!meta.containsKey(SourceLayers.KEY)) {
                if (studentLayers != teacherLayers)
                    throw new IllegalArgumentException("the student (" + student + ") has " + studentLayers + " layers and the teacher " + teacherLayers
                            + ", and its checkpoint does not say which teacher layers it kept (no '" + SourceLayers.KEY
                            + "' metadata, which prune --target writes): give --layer-map (the teacher layer of each student layer) or --plan FILE");
                int[] id = new int[studentLayers];
                for (int i = 0; i < id.length; i++) id[i] = i;
                return new Resolved(id, "identity (same depth)");
            }
            map = SourceLayers.parse(meta.get(SourceLayers.KEY), student.toString());
            fingerprint = meta.get(SourceLayers.FINGERPRINT_KEY);
            from = student + " metadata " + SourceLayers.KEY;
        }
        if (map.length != studentLayers)
            throw new IllegalArgumentException(from + " lists " + map.length + " kept layers; the student (" + student + ") has " + studentLayers);
        for (int l : map)
            if (l >= teacherLayers)
                throw new IllegalArgumentException(from + " names layer " + l + "; the teacher (" + teacher + ") has layers 0.." + (teacherLayers - 1));
        if (fingerprint != null) {
            String here;
            try (SafeTensors st = SafeTensors.open(teacher)) {
                here = Fingerprint.of(TensorSource.of(st));
            }
            if (!fingerprint.equals(here))
                throw new IllegalArgumentException(from + ": the student was pruned from another model (fingerprint " + fingerprint + ") than the teacher "
                        + teacher + " (" + here + "), so its layer indices do not name the teacher's layers; give --layer-map");
        }
        return new Resolved(map, from + " " + Arrays.toString(map));
    }
}
