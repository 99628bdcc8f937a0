package org.prune4j.cli.report;

import java.util.List;
import java.util.Locale;

/**
 * A small SVG plotter for reports: line plots, bar charts and heatmaps with axes, ticks, units and a legend, written
 * as inline SVG so report.html needs no script and no network. Our own because the JVM's plotting libraries either
 * pull a GUI toolkit (JFreeChart renders through AWT/Java2D) or produce JavaScript pages; a report needs three plot
 * kinds, which fit in one file. Every data mark carries class "mark", which the browser test counts.
 */
public final class Svg {
    private Svg() {}

    static final int W = 640, H = 360, LEFT = 70, RIGHT = 150, TOP = 30, BOTTOM = 50;
    /** A colour-blind-safe palette (Okabe and Ito). */
    static final String[] COLORS = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"};

    /** One line of a line plot: name (for the legend) and points; {@code line} false draws the points only (a scatter). */
    public record Series(String name, double[] x, double[] y, boolean line) {
        public Series(String name, double[] x, double[] y) { this(name, x, y, true); }
    }

    /** Lines with point markers; {@code logY} draws y on a log scale (perplexities). */
    public static String lines(String title, String xLabel, String yLabel, List<Series> series, boolean logY) {
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double v : s.x) { x0 = Math.min(x0, v); x1 = Math.max(x1, v); }
            for (double v : s.y) { double t = logY ? Math.log10(v) : v; y0 = Math.min(y0, t); y1 = Math.max(y1, t); }
        }
        if (!(x1 > x0)) { x0 -= 0.5; x1 += 0.5; }
        if (!(y1 > y0)) { y0 -= 0.5; y1 += 0.5; }
        x1 += (x1 - x0) * 0.03;
        double pad = (y1 - y0) * 0.05;
        y0 -= pad; y1 += pad;
        Frame f = new Frame(x0, x1, y0, y1);
        StringBuilder sb = open(title);
        boolean intX = true; // layers, steps: no ticks between integers
        for (Series s : series) for (double v : s.x) intX &= v == Math.rint(v);
        axes(sb, f, xLabel, yLabel, logY, intX);
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            String c = COLORS[i % COLORS.length];
            StringBuilder pts = new StringBuilder();
            for (int j = 0; j < s.x.length; j++) {
                pts.append(fmt(f.px(s.x[j]))).append(',').append(fmt(f.py(logY ? Math.log10(s.y[j]) : s.y[j]))).append(' ');
            }
            if (s.x.length > 1 && s.line) sb.append("<polyline class=\"mark\" fill=\"none\" stroke=\"").append(c).append("\" stroke-width=\"2\" points=\"").append(pts.toString().strip()).append("\"/>\n");
            for (int j = 0; j < s.x.length; j++) {
                sb.append("<circle class=\"mark\" r=\"4\" fill=\"").append(c).append("\" cx=\"").append(fmt(f.px(s.x[j]))).append("\" cy=\"")
                        .append(fmt(f.py(logY ? Math.log10(s.y[j]) : s.y[j]))).append("\"><title>").append(esc(s.name)).append(": ")
                        .append(num(s.x[j])).append(", ").append(num(s.y[j])).append("</title></circle>\n");
            }
            legend(sb, i, s.name, c);
        }
        return sb.append("</svg>\n").toString();
    }

    /** Vertical bars, one per label. */
    public static String bars(String title, String yLabel, List<String> labels, double[] values) {
        double y1 = 0;
        for (double v : values) y1 = Math.max(y1, v);
        if (y1 <= 0) y1 = 1;
        Frame f = new Frame(0, labels.size(), 0, y1 * 1.05, 95); // room for slanted labels
        StringBuilder sb = open(title);
        axes(sb, f, null, yLabel, false, false);
        double bw = (W - LEFT - RIGHT) / (double) Math.max(1, labels.size());
        boolean every = labels.size() <= 20;
        for (int i = 0; i < labels.size(); i++) {
            double x = LEFT + i * bw, y = f.py(values[i]);
            sb.append("<rect class=\"mark\" fill=\"").append(COLORS[0]).append("\" x=\"").append(fmt(x + bw * 0.1)).append("\" y=\"").append(fmt(y))
                    .append("\" width=\"").append(fmt(bw * 0.8)).append("\" height=\"").append(fmt(H - f.bottom - y)).append("\"><title>")
                    .append(esc(labels.get(i))).append(": ").append(num(values[i])).append("</title></rect>\n");
            if (every || i % (int) Math.ceil(labels.size() / 12.0) == 0) {
                double lx = x + bw / 2, ly = H - f.bottom + 12;
                sb.append("<text x=\"").append(fmt(lx)).append("\" y=\"").append(fmt(ly)).append("\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-40 ")
                        .append(fmt(lx)).append(' ').append(fmt(ly)).append(")\">").append(esc(labels.get(i))).append("</text>\n");
            }
        }
        return sb.append("</svg>\n").toString();
    }

    /** A heatmap of {@code v[row][col]} with a colour scale from the smallest to the largest value. */
    public static String heatmap(String title, String unit, List<String> rows, List<String> cols, double[][] v) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] r : v) for (double x : r) if (Double.isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
        if (!(lo <= hi)) { lo = 0; hi = 1; }
        return heatmap(title, unit, rows, cols, v, lo, hi, false);
    }

    /**
     * A heatmap on the fixed colour range [lo, hi]; {@code diverging} runs red (lo) through white (the middle) to blue
     * (hi), for signed values such as correlations. A value that is not finite is a grey cell marked "n/a".
     */
    public static String heatmap(String title, String unit, List<String> rows, List<String> cols, double[][] v, double lo, double hi, boolean diverging) {
        if (!(hi > lo)) { hi = lo + 1e-12; }
        StringBuilder sb = open(title);
        double cw = (W - LEFT - RIGHT) / (double) cols.size(), ch = (H - TOP - BOTTOM) / (double) rows.size();
        for (int r = 0; r < rows.size(); r++) {
            sb.append(text(LEFT - 6, TOP + (r + 0.5) * ch + 4, "end", 11, rows.get(r)));
            for (int c = 0; c < cols.size(); c++) {
                boolean ok = Double.isFinite(v[r][c]);
                double t = ok ? (v[r][c] - lo) / (hi - lo) : 0;
                sb.append("<rect class=\"mark\" x=\"").append(fmt(LEFT + c * cw)).append("\" y=\"").append(fmt(TOP + r * ch)).append("\" width=\"")
                        .append(fmt(cw)).append("\" height=\"").append(fmt(ch)).append("\" fill=\"").append(ok ? colour(t, diverging) : "#cccccc").append("\"><title>")
                        .append(esc(rows.get(r) + " / " + cols.get(c))).append(": ").append(ok ? num(v[r][c]) : "n/a").append(' ').append(esc(unit)).append("</title></rect>\n");
                if (cw > 34 && ch > 14)
                    sb.append(text(LEFT + (c + 0.5) * cw, TOP + (r + 0.5) * ch + 4, "middle", 10, ok ? num(v[r][c]) : "n/a",
                            dark(t, diverging) ? "#fff" : "#000"));
            }
        }
        boolean slant = cols.size() > 8 || cols.stream().anyMatch(c -> c.length() * 6 > cw);
        for (int c = 0; c < cols.size(); c++) {
            if (cols.size() > 24 && c % (int) Math.ceil(cols.size() / 24.0) != 0) continue;
            double lx = LEFT + (c + 0.5) * cw, ly = H - BOTTOM + 14;
            if (slant) sb.append("<text x=\"").append(fmt(lx)).append("\" y=\"").append(fmt(ly)).append("\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-30 ")
                    .append(fmt(lx)).append(' ').append(fmt(ly)).append(")\">").append(esc(cols.get(c))).append("</text>\n");
            else sb.append(text(lx, ly, "middle", 11, cols.get(c)));
        }
        // colour scale
        int sx = W - RIGHT + 20;
        for (int i = 0; i < 10; i++) {
            sb.append("<rect x=\"").append(sx).append("\" y=\"").append(fmt(TOP + (9 - i) * (H - TOP - BOTTOM) / 10.0)).append("\" width=\"14\" height=\"")
                    .append(fmt((H - TOP - BOTTOM) / 10.0)).append("\" fill=\"").append(colour(i / 9.0, diverging)).append("\"/>\n");
        }
        sb.append(text(sx + 18, TOP + 10, "start", 10, num(hi) + " " + unit));
        sb.append(text(sx + 18, H - BOTTOM, "start", 10, num(lo) + " " + unit));
        return sb.append("</svg>\n").toString();
    }

    private static String colour(double t, boolean diverging) {
        if (!diverging) return ramp(t);
        t = Math.max(0, Math.min(1, t));
        // red #b2182b at 0, white at 0.5, blue #2166ac at 1
        double u = Math.abs(2 * t - 1);
        int[] end = t < 0.5 ? new int[]{178, 24, 43} : new int[]{33, 102, 172};
        return String.format(Locale.ROOT, "#%02x%02x%02x", (int) Math.round(255 + (end[0] - 255) * u), (int) Math.round(255 + (end[1] - 255) * u),
                (int) Math.round(255 + (end[2] - 255) * u));
    }

    private static boolean dark(double t, boolean diverging) {
        return diverging ? Math.abs(2 * t - 1) > 0.6 : t > 0.6;
    }

    // ------------------------------------------------------------------ pieces

    private record Frame(double x0, double x1, double y0, double y1, int bottom) {
        Frame(double x0, double x1, double y0, double y1) { this(x0, x1, y0, y1, BOTTOM); }
        double px(double x) { return LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT); }
        double py(double y) { return H - bottom - (y - y0) / (y1 - y0) * (H - TOP - bottom); }
    }

    private static StringBuilder open(String title) {
        StringBuilder sb = new StringBuilder();
        sb.append("<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\" font-family=\"sans-serif\" role=\"img\">\n");
        sb.append("<title>").append(esc(title)).append("</title>\n");
        sb.append(text(W / 2.0 - RIGHT / 2.0, 18, "middle", 14, title));
        return sb;
    }

    private static void axes(StringBuilder sb, Frame f, String xLabel, String yLabel, boolean logY, boolean intX) {
        int x0 = LEFT, x1 = W - RIGHT, y0 = H - f.bottom, y1 = TOP;
        sb.append("<g stroke=\"#333\" stroke-width=\"1\">");
        sb.append("<line x1=\"").append(x0).append("\" y1=\"").append(y0).append("\" x2=\"").append(x1).append("\" y2=\"").append(y0).append("\"/>");
        sb.append("<line x1=\"").append(x0).append("\" y1=\"").append(y0).append("\" x2=\"").append(x0).append("\" y2=\"").append(y1).append("\"/>");
        sb.append("</g>\n");
        for (double t : logY ? logTicks(f.y0, f.y1) : ticks(f.y0, f.y1)) {
            double py = f.py(t);
            sb.append("<line stroke=\"#ddd\" x1=\"").append(x0).append("\" x2=\"").append(x1).append("\" y1=\"").append(fmt(py)).append("\" y2=\"").append(fmt(py)).append("\"/>\n");
            sb.append(text(x0 - 6, py + 4, "end", 11, num(logY ? Math.pow(10, t) : t)));
        }
        if (xLabel != null) {
            for (double t : ticks(f.x0, f.x1)) if (!intX || t == Math.rint(t)) sb.append(text(f.px(t), y0 + 16, "middle", 11, num(t)));
            sb.append(text((x0 + x1) / 2.0, H - 12, "middle", 12, xLabel));
        }
        sb.append("<text font-size=\"12\" text-anchor=\"middle\" transform=\"translate(16,").append((y0 + y1) / 2).append(") rotate(-90)\">")
                .append(esc(yLabel + (logY ? " (log scale)" : ""))).append("</text>\n");
    }

    private static void legend(StringBuilder sb, int i, String name, String color) {
        int x = W - RIGHT + 14, y = TOP + 10 + 18 * i;
        sb.append("<rect x=\"").append(x).append("\" y=\"").append(y - 8).append("\" width=\"12\" height=\"12\" fill=\"").append(color).append("\"/>");
        sb.append(text(x + 18, y + 2, "start", 12, name));
    }

    /** About five round ticks covering [lo, hi]. */
    static double[] ticks(double lo, double hi) {
        double step = Math.pow(10, Math.floor(Math.log10((hi - lo) / 5)));
        double span = (hi - lo) / step;
        if (span > 25) step *= 5; else if (span > 10) step *= 2;
        double first = Math.ceil(lo / step) * step;
        int n = (int) Math.floor((hi - first) / step + 1e-9) + 1;
        double[] t = new double[Math.max(0, n)];
        for (int i = 0; i < t.length; i++) t[i] = first + i * step;
        return t;
    }

    /**
     * Ticks at 1, 2 and 5 times powers of ten (as log10 values) inside [lo, hi] (log10 values); every integer multiple
     * when that gives under three; round linear values when even that gives under two.
     */
    static double[] logTicks(double lo, double hi) {
        for (int[] mult : new int[][]{{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
            List<Double> t = new java.util.ArrayList<>();
            for (int e = (int) Math.floor(lo) - 1; e <= Math.ceil(hi); e++)
                for (int m : mult) {
                    double v = Math.log10(m) + e;
                    if (v >= lo && v <= hi) t.add(v);
                }
            if (t.size() >= 3 || (mult.length == 9 && t.size() >= 2)) return t.stream().mapToDouble(Double::doubleValue).toArray();
        }
        // narrower than one integer step (e.g. 5.2 to 6.9): round ticks in value space, placed on the log axis
        double[] lin = ticks(Math.pow(10, lo), Math.pow(10, hi));
        for (int i = 0; i < lin.length; i++) lin[i] = Math.log10(lin[i]);
        return lin;
    }

    /** White to dark blue. */
    private static String ramp(double t) {
        t = Math.max(0, Math.min(1, t));
        int r = (int) Math.round(247 + (8 - 247) * t), g = (int) Math.round(251 + (48 - 251) * t), b = (int) Math.round(255 + (107 - 255) * t);
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
    }

    private static String text(double x, double y, String anchor, int size, String s) {
        return text(x, y, anchor, size, s, "#000");
    }

    private static String text(double x, double y, String anchor, int size, String s, String fill) {
        return "<text x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" font-size=\"" + size + "\" text-anchor=\"" + anchor + "\" fill=\"" + fill + "\">" + esc(s) + "</text>\n";
    }

    static String num(double v) {
        double a = Math.abs(v);
        if (Math.abs(v - Math.rint(v)) < 1e-9 * Math.max(1, a) && a < 1e6) return String.format(Locale.ROOT, "%d", Math.round(v));
        if (a >= 100) return String.format(Locale.ROOT, "%.1f", v);
        if (a >= 1) return String.format(Locale.ROOT, "%.2f", v);
        if (a >= 0.01) return String.format(Locale.ROOT, "%.3f", v);
        return String.format(Locale.ROOT, "%.2e", v);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** XML text escaping. */
    public static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
