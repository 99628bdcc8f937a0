package org.prune4j.pruning.structured;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.prune4j.pruning.TensorSource;
import org.prune4j.tensor.Tensor;

/**
 * A model's identity for plans: SHA-256 over every tensor's name, dtype and shape (in name order) and 64 values
 * sampled at evenly spaced positions of each tensor. Cheap on a mapped checkpoint (a few pages per tensor) and
 * different for any two models that differ in shape, and in practice for any two trained ones; a plan made on one
 * model is refused on another.
 */
public final class Fingerprint {
    private Fingerprint() {}

    /** Values sampled per tensor. */
    static final int SAMPLES = 64;

    /** The fingerprint of the tensors {@code src} holds, "sha256:" + 64 hex digits. */
    public static String of(TensorSource src) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<String> names = new ArrayList<>(src.names());
        names.sort(null);
        byte[] word = new byte[4];
        for (String n : names) {
            Tensor t = src.get(n);
            md.update((n + "|" + t.dtype() + "|" + java.util.Arrays.toString(t.shape()) + "\n").getBytes(StandardCharsets.UTF_8));
            long numel = t.numel();
            int k = (int) Math.min(SAMPLES, numel);
            for (int i = 0; i < k; i++) {
                int bits = Float.floatToIntBits(t.getFlat(numel * i / k));
                for (int b = 0; b < 4; b++) word[b] = (byte) (bits >>> (8 * b));
                md.update(word);
            }
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest());
    }
}
