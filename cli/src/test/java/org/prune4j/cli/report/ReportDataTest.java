package org.prune4j.cli.report;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data behind the plots: the Pareto front of candidates, and a distill log read back one record per step. */
class ReportDataTest {
    @TempDir Path tmp;

    @Test
    void paretoFrontKeepsExactlyTheUndominatedPoints() {
        // (params, ppl): (1, 9) (2, 5) (3, 6) dominated by (2, 5), (4, 2), (4, 3) dominated by (4, 2), (5, 2) dominated by (4, 2)
        List<double[]> pts = List.of(new double[]{3, 6}, new double[]{1, 9}, new double[]{4, 3}, new double[]{2, 5}, new double[]{5, 2}, new double[]{4, 2});
        List<double[]> front = CompressReport.paretoFront(pts);
        assertEquals(List.of("1,9", "2,5", "4,2"), front.stream().map(a -> (int) a[0] + "," + (int) a[1]).toList());
        for (double[] p : pts) {
            boolean dominated = pts.stream().anyMatch(q -> q[0] <= p[0] && q[1] <= p[1] && (q[0] < p[0] || q[1] < p[1]));
            assertEquals(!dominated, front.contains(p), "point " + p[0] + "," + p[1]);
        }
    }

    @Test
    void aLogResumedFromAnEarlierStepKeepsItsLastRecordPerStep() throws Exception {
        Path log = tmp.resolve("steps.jsonl");
        Files.writeString(log, "{\"step\":1,\"loss\":3.0}\n{\"step\":2,\"loss\":2.5}\n{\"step\":3,\"loss\":2.4}\n{\"step\":2,\"loss\":2.6}\n{\"step\":3,\"loss\":2.2}\n{\"step\":4,\"lo");
        List<Map<String, Object>> steps = DistillReport.readLog(log);
        assertEquals(3, steps.size(), "steps 1..3; the line cut short by a kill is dropped");
        assertEquals(2.6, ((Number) steps.get(1).get("loss")).doubleValue());
        assertEquals(2.2, ((Number) steps.get(2).get("loss")).doubleValue());
    }
}
