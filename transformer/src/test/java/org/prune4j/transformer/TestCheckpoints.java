package org.prune4j.transformer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.prune4j.io.json.Json;
import org.prune4j.tensor.Tensor;

/** Writes small F32 safetensors files for tests that need a broken checkpoint. */
final class TestCheckpoints {
    private TestCheckpoints() {}

    static void writeF32(Path file, Map<String, Tensor> tensors) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        long off = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long n = e.getValue().numel() * 4;
            List<Object> shape = new java.util.ArrayList<>();
            for (int d : e.getValue().shape()) shape.add((long) d);
            header.put(e.getKey(), Map.of("dtype", "F32", "shape", shape, "data_offsets", List.of(off, off + n)));
            off += n;
        }
        byte[] h = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - h.length % 8) % 8;
        ByteBuffer buf = ByteBuffer.allocate((int) (8 + h.length + pad + off)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length + pad).put(h);
        for (int i = 0; i < pad; i++) buf.put((byte) ' ');
        for (Tensor t : tensors.values()) for (float f : t.toFloatArray()) buf.putFloat(f);
        Files.write(file, buf.array());
    }
}
