package org.prune4j.cli.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A named table of a report, one shape for its three renderings: aligned text, CSV and HTML. */
public record Table(String name, List<String> columns, List<List<Object>> rows) {
    public Table {
        columns = List.copyOf(columns);
        List<List<Object>> copy = new ArrayList<>();
        for (List<Object> r : rows) {
            if (r.size() != columns.size()) throw new IllegalArgumentException("table " + name + ": row of " + r.size() + " cells for " + columns.size() + " columns");
            copy.add(java.util.Collections.unmodifiableList(new ArrayList<>(r)));
        }
        rows = List.copyOf(copy);
    }

    /** RFC 4180 CSV with a header line; numbers at full precision. */
    public String csv() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.join(",", columns.stream().map(Table::csvCell).toList())).append("\r\n");
        for (List<Object> r : rows) sb.append(String.join(",", r.stream().map(o -> csvCell(raw(o))).toList())).append("\r\n");
        return sb.toString();
    }

    /** An HTML table (cells formatted for reading). */
    public String html() {
        StringBuilder sb = new StringBuilder("<table><thead><tr>");
        for (String c : columns) sb.append("<th>").append(Svg.esc(c)).append("</th>");
        sb.append("</tr></thead><tbody>\n");
        for (List<Object> r : rows) {
            sb.append("<tr>");
            for (Object o : r) sb.append(o instanceof Number ? "<td class=\"n\">" : "<td>").append(Svg.esc(shown(o))).append("</td>");
            sb.append("</tr>\n");
        }
        return sb.append("</tbody></table>\n").toString();
    }

    static String shown(Object o) {
        if (o instanceof Double d) return Svg.num(d);
        if (o instanceof Float f) return Svg.num(f);
        return String.valueOf(o);
    }

    private static String raw(Object o) {
        if (o instanceof Double d) return Double.toString(d);
        return String.valueOf(o);
    }

    private static String csvCell(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) return "\"" + s.replace("\"", "\"\"") + "\"";
        return s;
    }

    /** The file name of this table's CSV: its name in lower case, non-alphanumerics as '-'. */
    public String csvFile() {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "") + ".csv";
    }
}
