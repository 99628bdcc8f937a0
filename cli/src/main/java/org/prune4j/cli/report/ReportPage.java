package org.prune4j.cli.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;

/**
 * A report as a page: a title, facts, then plots (inline SVG with a caption saying what was measured and how) and
 * tables. {@link #write} puts report.html (self-contained: no script, no network), report.json and one CSV per table
 * into a folder, each file atomically.
 */
public final class ReportPage {
    private final String title;
    private final List<String> facts = new ArrayList<>();
    private final List<String> body = new ArrayList<>();
    private final List<Table> tables = new ArrayList<>();

    public ReportPage(String title) { this.title = title; }

    public ReportPage fact(String line) { facts.add(line); return this; }

    /** A plot with its caption (what is measured, on what data, in what unit). */
    public ReportPage plot(String heading, String svg, String caption) {
        body.add("<figure><h2>" + Svg.esc(heading) + "</h2>\n" + svg + "<figcaption>" + Svg.esc(caption) + "</figcaption></figure>\n");
        return this;
    }

    public ReportPage table(Table t, String caption) {
        tables.add(t);
        body.add("<section><h2>" + Svg.esc(t.name()) + "</h2><p class=\"cap\">" + Svg.esc(caption) + " (CSV: <a href=\"" + t.csvFile() + "\">"
                + t.csvFile() + "</a>)</p>\n" + t.html() + "</section>\n");
        return this;
    }

    public String html() {
        StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(Svg.esc(title)).append("</title>\n");
        sb.append("<style>body{font-family:sans-serif;max-width:1000px;margin:24px auto;color:#111}h1{font-size:22px}h2{font-size:16px;margin:18px 0 6px}"
                + "figure{margin:0 0 24px}figcaption,.cap{color:#444;font-size:13px;max-width:640px}table{border-collapse:collapse;font-size:13px}"
                + "td,th{border:1px solid #ccc;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}ul{font-size:14px}</style>\n");
        sb.append("</head><body>\n<h1>").append(Svg.esc(title)).append("</h1>\n<ul>\n");
        for (String f : facts) sb.append("<li>").append(Svg.esc(f)).append("</li>\n");
        sb.append("</ul>\n");
        for (String b : body) sb.append(b);
        return sb.append("<p class=\"cap\">Written by prune4j.</p>\n</body></html>\n").toString();
    }

    /** Writes report.html, report.json ({@code json}) and each table's CSV into {@code dir} (created if missing). */
    public void write(Path dir, Map<String, ?> json) throws IOException {
        Files.createDirectories(dir);
        for (Table t : tables) AtomicFiles.writeString(dir.resolve(t.csvFile()), t.csv());
        AtomicFiles.writeString(dir.resolve("report.json"), Json.writePretty(json, 2) + "\n");
        AtomicFiles.writeString(dir.resolve("report.html"), html());
    }
}
