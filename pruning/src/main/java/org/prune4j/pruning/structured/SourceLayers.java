package org.prune4j.pruning.structured;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which source layer each decoder layer of a pruned checkpoint came from, kept in its safetensors metadata
 * ({@code source_layers}: "0,1,2,4") beside the source model's fingerprint ({@code source_fingerprint}), so that
 * distillation can compare each student layer with its original teacher layer without the plan file.
 */
public final class SourceLayers {
    private SourceLayers() {}

    /** Metadata key: the source index of every kept layer, comma-separated, in output order. */
    public static final String KEY = "source_layers";
    /** Metadata key: {@link Fingerprint} of the model the layers came from. */
    public static final String FINGERPRINT_KEY = "source_fingerprint";

    /** The source index of each kept layer of {@code plan} [L']. */
    public static int[] of(Plan plan) {
        return plan.layers().stream().mapToInt(Plan.LayerPlan::source).toArray();
    }

    /** The two metadata entries for a checkpoint written from {@code plan}. */
    public static Map<String, String> metadata(Plan plan) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(KEY, format(of(plan)));
        m.put(FINGERPRINT_KEY, plan.source().fingerprint());
        return m;
    }

    /** The entries of {@code metadata} that say where the layers came from (to carry into a retrained copy). */
    public static Map<String, String> carried(Map<String, String> metadata) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String k : new String[] {KEY, FINGERPRINT_KEY}) if (metadata.containsKey(k)) m.put(k, metadata.get(k));
        return m;
    }

    /** "0,1,2,4". */
    public static String format(int[] layers) {
        StringBuilder sb = new StringBuilder();
        for (int l : layers) sb.append(sb.isEmpty() ? "" : ",").append(l);
        return sb.toString();
    }

    /** Parses {@link #format}'s output; {@code where} names the file in the error. */
    public static int[] parse(String value, String where) {
        String[] parts = value.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new StructuredException(where + ": metadata " + KEY + " = '" + value + "' is not a list of layer indices");
            }
            if (out[i] < 0 || (i > 0 && out[i] <= out[i - 1]))
                throw new StructuredException(where + ": metadata " + KEY + " = '" + value + "' must be distinct ascending layer indices");
        }
        return out;
    }
}
