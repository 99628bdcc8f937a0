package org.prune4j.pruning.verify;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Collects violations: the first {@code limit} in full, and a count per rule of all of them. */
final class Violations {
    private final int limit;
    private final List<Violation> first = new ArrayList<>();
    private final Map<String, Long> counts = new TreeMap<>();

    Violations(int limit) {
        this.limit = limit;
    }

    void add(String tensor, long row, long col, String rule, String detail) {
        counts.merge(rule, 1L, Long::sum);
        if (first.size() < limit) first.add(new Violation(tensor, row, col, rule, detail));
    }

    /** Shorthand for a rule broken by a whole tensor or file. */
    void add(String tensor, String rule, String detail) {
        add(tensor, -1, -1, rule, detail);
    }

    long total() {
        long n = 0;
        for (long c : counts.values()) n += c;
        return n;
    }

    long count(String rule) {
        return counts.getOrDefault(rule, 0L);
    }

    List<Violation> first() { return List.copyOf(first); }

    Map<String, Long> counts() { return Map.copyOf(counts); }
}
