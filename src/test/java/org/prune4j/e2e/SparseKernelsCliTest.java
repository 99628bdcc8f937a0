package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/**
 * N:M end to end on stories260K (hidden 64, MLP 172): a 2:4 checkpoint evaluated with the compressed kernels gives the
 * dense perplexity (1e-5 relative: only the float summation order differs, which moves a mean NLL of ~4.7 by ~1e-7);
 * a width M does not divide is refused with a pattern that fits, or pruned with a dense tail.
 */
class SparseKernelsCliTest {
    @TempDir Path tmp;
    Path stories, valid, text;

    @BeforeEach
    void shared() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path shared = SharedData.root().get();
        stories = shared.resolve("models/stories260K");
        valid = shared.resolve("data/text/wikitext2-valid.txt");
        text = shared.resolve("data/text/tinystories-sample.txt");
    }

    private Cli prune(String nm, Path out, String... extra) {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("prune", "--model", stories.toString(), "--method", "magnitude",
                "--nm", nm, "--threads", "2", "--out", out.toString(), "--json"));
        a.addAll(java.util.List.of(extra));
        return Cli.run(a.toArray(String[]::new));
    }

    private Map<String, Object> eval(Path model, String sparse) throws Exception {
        Cli r = Cli.run("eval", "--model", model.toString(), "--text", text.toString(), "--doc-separator", "<|endoftext|>",
                "--seq-len", "512", "--sparse-kernels", sparse, "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        return Json.parseObject(r.lastLine(), false);
    }

    @Test
    void twoFourCheckpointEvaluatesCompressedToTheDensePerplexity() throws Exception {
        Path out = tmp.resolve("s24");
        Cli p = prune("2:4", out);
        assertEquals(0, p.code(), p.err());
        Map<String, Object> dense = eval(out, "off"), sparse = eval(out, "on"), auto = eval(out, "auto");
        assertEquals(0L, ((Number) dense.get("sparse_linears")).longValue());
        assertEquals(5L * 7, ((Number) sparse.get("sparse_linears")).longValue(), "every linear of the 5 layers runs compressed");
        assertEquals(5L * 7, ((Number) auto.get("sparse_linears")).longValue(), "auto picks every 2:4 weight on the CPU");
        double d = ((Number) dense.get("nll")).doubleValue(), s = ((Number) sparse.get("nll")).doubleValue();
        assertEquals(d, s, 1e-5 * Math.abs(d), "compressed vs dense NLL");
        assertEquals(((Number) dense.get("tokens")).longValue(), ((Number) sparse.get("tokens")).longValue());
    }

    @Test
    void onWithADenseModelIsAUsageError() {
        Cli r = Cli.run("eval", "--model", stories.toString(), "--text", text.toString(), "--seq-len", "64", "--windows", "1", "--sparse-kernels", "on");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("no linear weight") && r.err().contains("N:M"), r.err());
    }

    @Test
    void fourEightOnWidth172IsRefusedWithAFitOrPrunedWithADenseTail() throws Exception {
        Cli refused = prune("4:8", tmp.resolve("refused"));
        assertEquals(1, refused.code(), refused.err());
        assertTrue(refused.err().contains("down_proj") && refused.err().contains("172") && refused.err().contains("2:4")
                && refused.err().contains("--nm-tail dense"), refused.err());
        assertFalse(tmp.resolve("refused").toFile().exists(), "no partial output");

        Cli tail = prune("4:8", tmp.resolve("tail"), "--nm-tail", "dense");
        assertEquals(0, tail.code(), tail.err());
        Map<String, Object> j = Json.parseObject(tail.lastLine(), false);
        for (Object o : (java.util.List<?>) j.get("layers")) {
            Map<?, ?> lr = (Map<?, ?>) o;
            long cols = ((Number) ((java.util.List<?>) lr.get("shape")).get(1)).longValue(), rows = ((Number) ((java.util.List<?>) lr.get("shape")).get(0)).longValue();
            long want = rows * (cols / 8) * 4; // 4 of each full group of 8; down_proj's last 4 inputs stay dense
            assertEquals(want, ((Number) lr.get("zeros")).longValue(), lr.get("name") + " zeros (magnitude leaves no other zeros)");
        }
        assertTrue(((Number) j.get("sparsity")).doubleValue() < 0.5, "achieved sparsity below 4/8 with the dense tail");
    }
}
