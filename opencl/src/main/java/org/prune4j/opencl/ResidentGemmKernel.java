package org.prune4j.opencl;

import com.aparapi.Kernel;

/**
 * y [m, n] = x [m, k] @ W^T for a weight W [n, k] that lives at {@code wOff} in a device-resident weight arena
 * ({@link WeightArena}). An Aparapi Java kernel run in explicit mode, because that is the only Aparapi path whose
 * buffers persist between calls: the arena array is uploaded once and stays on the device, only x and y move.
 * (Aparapi's OpenCL-C binding re-uploads every argument on every call.)
 *
 * <p>Two modes, chosen per call: {@code TILED} (mode 0) — work-groups of 16x16 compute 64x64 tiles of y, each
 * work-item a 4x4 block, stepping k by 16 through local memory; {@code ROWS} (mode 1, for 1–2 rows of x, i.e.
 * decoding) — a work-group of 64 computes 4 outputs of one row, its work-items striding over k and reducing in local
 * memory. Top-level class with primitive/array fields only, as Aparapi's bytecode translator requires.
 */
public final class ResidentGemmKernel extends Kernel {
    static final int TILE = 64, TK = 16, LS = 16;
    static final int VW = 64, VR = 4;
    static final int TILED = 0, ROWS = 1;

    /** The arena (weights of many layers, each [n, k] row-major at its own offset). */
    float[] w = new float[1];
    /** Activations x [m, k] and the result y [m, n]; fresh arrays every call. */
    float[] x = new float[1];
    float[] y = new float[1];
    int m, n, k, wOff, mode;

    @Local final float[] xs = new float[TK * TILE];
    @Local final float[] ws = new float[TK * TILE];
    @Local final float[] red = new float[VR * VW];

    /** Times Aparapi cloned this kernel, which it does only to run it in Java threads instead of OpenCL. */
    int javaRuns;

    @Override
    public void run() {
        if (mode == TILED) tiled();
        else rows();
    }

    void tiled() {
        int tx = getLocalId(0);
        int ty = getLocalId(1);
        int n0 = getGroupId(0) * TILE;
        int m0 = getGroupId(1) * TILE;
        int lid = ty * LS + tx;
        float c00 = 0f, c01 = 0f, c02 = 0f, c03 = 0f;
        float c10 = 0f, c11 = 0f, c12 = 0f, c13 = 0f;
        float c20 = 0f, c21 = 0f, c22 = 0f, c23 = 0f;
        float c30 = 0f, c31 = 0f, c32 = 0f, c33 = 0f;
        for (int k0 = 0; k0 < k; k0 += TK) {
            for (int e = lid; e < TILE * TK; e += LS * LS) {
                int r = e / TK;
                int kk = e - r * TK;
                int gk = k0 + kk;
                float xv = 0f;
                if (m0 + r < m && gk < k) xv = x[(m0 + r) * k + gk];
                xs[kk * TILE + r] = xv;
                float wv = 0f;
                if (n0 + r < n && gk < k) wv = w[wOff + (n0 + r) * k + gk];
                ws[kk * TILE + r] = wv;
            }
            localBarrier();
            for (int kk = 0; kk < TK; kk++) {
                int base = kk * TILE;
                float a0 = xs[base + ty];
                float a1 = xs[base + ty + LS];
                float a2 = xs[base + ty + 2 * LS];
                float a3 = xs[base + ty + 3 * LS];
                float b0 = ws[base + tx];
                float b1 = ws[base + tx + LS];
                float b2 = ws[base + tx + 2 * LS];
                float b3 = ws[base + tx + 3 * LS];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            localBarrier();
        }
        int r0 = m0 + ty;
        int q0 = n0 + tx;
        store(r0, q0, c00); store(r0, q0 + LS, c01); store(r0, q0 + 2 * LS, c02); store(r0, q0 + 3 * LS, c03);
        store(r0 + LS, q0, c10); store(r0 + LS, q0 + LS, c11); store(r0 + LS, q0 + 2 * LS, c12); store(r0 + LS, q0 + 3 * LS, c13);
        store(r0 + 2 * LS, q0, c20); store(r0 + 2 * LS, q0 + LS, c21); store(r0 + 2 * LS, q0 + 2 * LS, c22); store(r0 + 2 * LS, q0 + 3 * LS, c23);
        store(r0 + 3 * LS, q0, c30); store(r0 + 3 * LS, q0 + LS, c31); store(r0 + 3 * LS, q0 + 2 * LS, c32); store(r0 + 3 * LS, q0 + 3 * LS, c33);
    }

    void store(int row, int col, float v) {
        if (row < m && col < n) y[row * n + col] = v;
    }

    void rows() {
        int lid = getLocalId(0);
        int blocks = (n + VR - 1) / VR;
        for (int g = getGroupId(0); g < m * blocks; g += getNumGroups(0)) {
            int row = g / blocks;
            int j0 = (g - row * blocks) * VR;
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            for (int kk = lid; kk < k; kk += VW) {
                float xv = x[row * k + kk];
                if (j0 < n) s0 += xv * w[wOff + j0 * k + kk];
                if (j0 + 1 < n) s1 += xv * w[wOff + (j0 + 1) * k + kk];
                if (j0 + 2 < n) s2 += xv * w[wOff + (j0 + 2) * k + kk];
                if (j0 + 3 < n) s3 += xv * w[wOff + (j0 + 3) * k + kk];
            }
            red[lid] = s0;
            red[VW + lid] = s1;
            red[2 * VW + lid] = s2;
            red[3 * VW + lid] = s3;
            localBarrier();
            for (int st = VW / 2; st > 0; st = st / 2) {
                if (lid < st) {
                    red[lid] += red[lid + st];
                    red[VW + lid] += red[VW + lid + st];
                    red[2 * VW + lid] += red[2 * VW + lid + st];
                    red[3 * VW + lid] += red[3 * VW + lid + st];
                }
                localBarrier();
            }
            if (lid < VR && j0 + lid < n) y[row * n + j0 + lid] = red[lid * VW];
            localBarrier();
        }
    }

    @Override
    public ResidentGemmKernel clone() {
        javaRuns++;
        return (ResidentGemmKernel) super.clone();
    }
}
