package org.prune4j.opencl;

import com.aparapi.device.OpenCLDevice;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.prune4j.tensor.Tensor;

/**
 * The weight cache of one {@link OpenCLKernels} session: which weight views live on the device, in which
 * {@link WeightArena}. A weight W [n, k] (the [out, in] matrix of {@code linear}, i.e. {@code b.t()} of a matmul) is
 * eligible when its storage is read-only (a memory-mapped checkpoint, which cannot change under us) or when it was
 * registered with {@code keepResident}. An eligible weight's first use runs with a per-call upload and marks it; its
 * second use uploads every marked weight together into one arena, from which all later uses run. So one forward
 * pass discovers a model's weights, the second packs them with one upload, and tensors registered but never
 * multiplied (an embedding table) never take device memory.
 *
 * <p>Writable weights that were not registered are never cached: an in-place update (pruning, an optimizer step)
 * would otherwise leave a stale device copy. {@link #release} drops a weight (an arena is freed once all its weights
 * are released); {@link #close} frees every arena.
 */
final class ResidentWeights implements AutoCloseable {
    record Block(WeightArena arena, int wOff, int row0, int rows) {}

    record Entry(WeightKey key, Tensor weight, int n, int k, List<Block> blocks) {}

    /** Rows [row0, row0 + rows) of a pending weight, planned at {@code offset} of the arena being filled. */
    private record Placement(WeightKey key, Tensor weight, int row0, int rows, int offset) {}

    private final OpenCLDevice device;
    /** Floats per arena: one device allocation and one Java array must hold it. */
    private final long arenaCap;
    /** Floats all arenas together may hold (device memory and Java heap headroom). */
    private final long budget;
    private final Map<WeightKey, Entry> resident = new HashMap<>();
    private final LinkedHashMap<WeightKey, Tensor> pending = new LinkedHashMap<>();
    private final Set<WeightKey> registered = new HashSet<>();
    private final Set<WeightKey> declined = new HashSet<>();
    private final List<WeightArena> arenas = new ArrayList<>();
    private long used;

    ResidentWeights(OpenCLDevice device) {
        this(device, Math.min(device.getMaxMemAllocSize() / 4, Integer.MAX_VALUE - 64),
                Math.min((long) (device.getGlobalMemSize() * 0.7) / 4, Runtime.getRuntime().maxMemory() / 2 / 4));
    }

    ResidentWeights(OpenCLDevice device, long arenaCap, long budget) {
        this.device = device;
        this.arenaCap = arenaCap;
        this.budget = budget;
    }

    /** Makes w [n, k] (in either orientation) eligible for residency, as if its storage were read-only. */
    synchronized void keep(Tensor w) {
        if (w.rank() != 2 || w.numel() == 0) return;
        for (WeightKey key : List.of(WeightKey.of(w), WeightKey.of(w.t()))) {
            registered.add(key);
            declined.remove(key);
        }
    }

    /** The resident form of w [n, k], making it resident first when this use qualifies; null to compute without it. */
    synchronized Entry lookup(Tensor w) {
        WeightKey key = WeightKey.of(w);
        Entry e = resident.get(key);
        if (e != null) {
            if (alive(e.weight())) return e;
            evict(e);
        }
        if (declined.contains(key) || w.numel() == 0) return null;
        if (!registered.contains(key) && w.storage().writable()) return null;
        if (pending.containsKey(key)) {
            flush();
            return resident.get(key);
        }
        pending.put(key, w);
        return null;
    }

    /** Forgets w (both orientations): its device copy is dropped and it is no longer registered. */
    synchronized void release(Tensor w) {
        if (w.rank() != 2) return;
        for (WeightKey key : List.of(WeightKey.of(w), WeightKey.of(w.t()))) {
            Entry e = resident.get(key);
            if (e != null) evict(e);
            pending.remove(key);
            registered.remove(key);
            declined.remove(key);
        }
    }

    /** The arenas, oldest first (tests). */
    synchronized List<WeightArena> arenas() {
        return List.copyOf(arenas);
    }

    synchronized Residency stats() {
        long bytes = 0;
        for (Entry e : resident.values()) bytes += 4L * e.n() * e.k();
        return new Residency(resident.size(), bytes, arenas.size(), 4L * used, pending.size(), declined.size());
    }

    @Override
    public synchronized void close() {
        for (WeightArena a : arenas) a.close();
        arenas.clear();
        resident.clear();
        pending.clear();
        registered.clear();
        declined.clear();
        used = 0;
    }

    /** Packs every pending weight into new arenas (splitting a weight by rows across arenas when needed). */
    private void flush() {
        List<Map.Entry<WeightKey, Tensor>> todo = new ArrayList<>(pending.entrySet());
        pending.clear();
        List<List<Placement>> plans = new ArrayList<>();
        List<Placement> cur = new ArrayList<>();
        long fill = 0, planned = 0;
        for (Map.Entry<WeightKey, Tensor> p : todo) {
            Tensor w = p.getValue();
            int n = w.size(0), k = w.size(1);
            long size = (long) n * k;
            if (!alive(w) || k > arenaCap || used + planned + size > budget) {
                declined.add(p.getKey());
                continue;
            }
            planned += size;
            int row0 = 0;
            while (row0 < n) {
                long rowsFit = (arenaCap - fill) / k;
                if (rowsFit == 0) {
                    plans.add(cur);
                    cur = new ArrayList<>();
                    fill = 0;
                    continue;
                }
                int rows = (int) Math.min(n - row0, rowsFit);
                cur.add(new Placement(p.getKey(), w, row0, rows, (int) fill));
                fill += (long) rows * k;
                row0 += rows;
            }
        }
        if (!cur.isEmpty()) plans.add(cur);
        Map<WeightKey, List<Block>> blocks = new LinkedHashMap<>();
        Map<WeightKey, Tensor> weights = new HashMap<>();
        for (List<Placement> plan : plans) {
            long total = 0;
            for (Placement b : plan) total += (long) b.rows() * b.weight().size(1);
            float[] data = new float[Math.toIntExact(total)];
            for (Placement b : plan) b.weight().narrow(0, b.row0(), b.rows()).copyTo(data, b.offset());
            WeightArena arena = new WeightArena(device, data);
            arenas.add(arena);
            used += data.length;
            for (Placement b : plan) {
                weights.put(b.key(), b.weight());
                blocks.computeIfAbsent(b.key(), x -> new ArrayList<>()).add(new Block(arena, b.offset(), b.row0(), b.rows()));
            }
        }
        for (Map.Entry<WeightKey, List<Block>> e : blocks.entrySet()) {
            Tensor w = weights.get(e.getKey());
            resident.put(e.getKey(), new Entry(e.getKey(), w, w.size(0), w.size(1), List.copyOf(e.getValue())));
        }
    }

    private void evict(Entry e) {
        resident.remove(e.key());
        for (Block b : e.blocks()) {
            b.arena().live -= (long) b.rows() * e.k();
            if (b.arena().live <= 0 && !b.arena().closed()) {
                b.arena().close();
                arenas.remove(b.arena());
                used -= b.arena().data.length;
            }
        }
    }

    /** False once a memory-mapped weight's file has been unmapped (its address may then be reused). */
    private static boolean alive(Tensor w) {
        MemorySegment seg = w.segment();
        return seg == null || seg.scope().isAlive();
    }
}
