package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.TensorInfo;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;

/**
 * {@code prune --nm 2:4 --save-format compressed-tensors} on stories260K: the checkpoint follows the sparse-24-bitmask
 * layout field by field (header entries, dtypes, shapes, bit order, config.json's quantization_config) and reads back
 * to the dense checkpoint's weights exactly, so the logits are identical.
 */
class CompressedTensorsCliTest {
    @TempDir Path tmp;
    Path stories;

    @BeforeEach
    void shared() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        stories = SharedData.root().get().resolve("models/stories260K");
    }

    private Path prune(String format) {
        Path out = tmp.resolve(format);
        Cli r = Cli.run("prune", "--model", stories.toString(), "--method", "magnitude", "--nm", "2:4", "--save-format", format,
                "--threads", "2", "--out", out.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        return out;
    }

    @Test
    void headerAndConfigFollowTheFormatAndTheModelReadsBackExactly() throws Exception {
        Path dense = prune("dense"), ct = prune("compressed-tensors");
        try (SafeTensors d = SafeTensors.open(dense); SafeTensors c = SafeTensors.open(ct)) {
            int compressed = 0;
            for (String name : d.names()) {
                TensorInfo di = d.info(name);
                if (!name.matches("model\\.layers\\.\\d+\\..*_proj\\.weight")) {
                    assertTrue(c.contains(name), name + " kept as it is");
                    assertArrayEquals(d.get(name).toFloatArray(), c.get(name).toFloatArray(), name);
                    continue;
                }
                compressed++;
                String p = name.substring(0, name.length() - ".weight".length());
                assertFalse(c.contains(name), name + " replaced by its compressed entries");
                int rows = (int) di.shape()[0], cols = (int) di.shape()[1];
                TensorInfo shape = c.info(p + ".shape"), vals = c.info(p + ".compressed"), bits = c.info(p + ".bitmask");
                assertEquals(DType.I64, shape.dtype());
                assertArrayEquals(new long[] {2, 1}, shape.shape());
                assertArrayEquals(new long[] {rows, cols}, c.getLongs(p + ".shape"));
                assertEquals(di.dtype(), vals.dtype(), "values keep the weight's dtype");
                assertArrayEquals(new long[] {rows, cols / 2}, vals.shape());
                assertEquals(DType.U8, bits.dtype());
                assertArrayEquals(new long[] {rows, (cols + 7) / 8}, bits.shape());
                // numpy.packbits(bitorder="little"): bit i of byte j of a row is input 8j + i; values in input order
                float[] w = d.get(name).toFloatArray(), v = c.get(p + ".compressed").toFloatArray();
                long[] mask = c.getLongs(p + ".bitmask");
                int o = 0;
                for (int r = 0; r < rows; r++)
                    for (int col = 0; col < cols; col++) {
                        boolean bit = (mask[r * ((cols + 7) / 8) + col / 8] >>> (col % 8) & 1) != 0;
                        if (w[r * cols + col] != 0f) assertTrue(bit, p + " row " + r + " input " + col + " is non-zero but not in the mask");
                        if (bit) assertEquals(w[r * cols + col], v[o++], p + " value of row " + r + " input " + col);
                    }
                assertEquals(v.length, o, p + ": one stored value per mask bit");
            }
            assertEquals(5 * 7, compressed);
        }
        Map<String, Object> cfg = Json.parseObject(Files.readString(ct.resolve("config.json")), true);
        Map<?, ?> q = (Map<?, ?>) cfg.get("quantization_config");
        assertEquals("compressed-tensors", q.get("quant_method"));
        assertEquals("0.12.2", q.get("version"));
        assertEquals(Map.of(), q.get("transform_config"));
        Map<?, ?> s = (Map<?, ?>) q.get("sparsity_config");
        assertEquals("sparse-24-bitmask", s.get("format"));
        assertEquals("2:4", s.get("sparsity_structure"));
        assertEquals(List.of("Linear"), s.get("targets"));
        assertEquals(List.of("lm_head"), s.get("ignore"));
        assertEquals(false, s.get("registry_requires_subclass"));
        assertEquals(100.0 * 226_560 / 2 / 260_032, ((Number) s.get("global_sparsity")).doubleValue(), 1e-9, "percent of all parameters zeroed");

        int[][] toks = {{1, 2, 3, 4, 5, 6, 7, 8}};
        Tensor a = LlamaModel.load(dense, ScalarKernels.INSTANCE).logits(toks), b = LlamaModel.load(ct, ScalarKernels.INSTANCE).logits(toks);
        assertArrayEquals(a.toFloatArray(), b.toFloatArray(), "same logits as the dense checkpoint");
    }

    @Test
    void otherPatternsAreRefusedForThisFormat() {
        Cli r = Cli.run("prune", "--model", stories.toString(), "--method", "magnitude", "--nm", "4:8", "--nm-tail", "dense",
                "--save-format", "compressed-tensors", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("2:4"), r.err());
    }
}
