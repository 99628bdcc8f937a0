package org.prune4j.cli.report;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The plotter's marks and ticks, and the table's CSV, checked on small inputs whose answers are known. */
class SvgTest {
    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + what.length())) n++;
        return n;
    }

    @Test
    void everyValueBecomesOneMark() {
        String lines = Svg.lines("t", "x", "y", List.of(new Svg.Series("a", new double[]{0, 1, 2}, new double[]{3, 4, 5}),
                new Svg.Series("b", new double[]{0}, new double[]{7})), true);
        assertEquals(3 + 1 + 1, count(lines, "class=\"mark\""), "4 points and 1 polyline (a single point draws no line)");
        assertEquals(5, count(Svg.bars("t", "y", List.of("a", "b", "c", "d", "e"), new double[]{1, 2, 0, 4, 5}), "class=\"mark\""));
        assertEquals(6, count(Svg.heatmap("t", "%", List.of("r0", "r1"), List.of("a", "b", "c"), new double[][]{{1, 2, 3}, {4, 5, 6}}), "class=\"mark\""));
        assertTrue(Svg.bars("a<b & \"c\"", "y", List.of("x"), new double[]{1}).contains("a&lt;b &amp; &quot;c&quot;"), "text is escaped");
    }

    @Test
    void ticksAreRoundAndInsideTheRange() {
        assertArrayEquals(new double[]{0, 10, 20, 30, 40, 50, 60, 70}, Svg.ticks(0, 72), 1e-9);
        assertArrayEquals(new double[]{0.2, 0.3, 0.4, 0.5, 0.6, 0.7}, Svg.ticks(0.15, 0.7), 1e-9);
        double[] log = Svg.logTicks(Math.log10(199), Math.log10(1600));
        assertArrayEquals(new double[]{200, 500, 1000}, java.util.Arrays.stream(log).map(v -> Math.pow(10, v)).toArray(), 1e-6);
        assertTrue(Svg.logTicks(Math.log10(250), Math.log10(450)).length >= 2, "a narrow log range falls back to every integer multiple");
        double[] narrow = Svg.logTicks(Math.log10(5.2), Math.log10(6.9));
        assertTrue(narrow.length >= 2, "narrower than one integer step: round linear values");
        for (double t : narrow) assertTrue(t >= Math.log10(5.2) && t <= Math.log10(6.9), "tick " + Math.pow(10, t) + " inside the range");
    }

    @Test
    void csvQuotesWhatNeedsIt() {
        Table t = new Table("Linear layers", List.of("name", "v"), List.of(List.of("a,b", 0.1), List.of("say \"hi\"", 2L)));
        assertEquals("name,v\r\n\"a,b\",0.1\r\n\"say \"\"hi\"\"\",2\r\n", t.csv());
        assertEquals("linear-layers.csv", t.csvFile());
        assertThrows(IllegalArgumentException.class, () -> new Table("x", List.of("a"), List.of(List.of(1, 2))));
    }
}
