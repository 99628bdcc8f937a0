// prune4j's OpenCL C kernels (OpenCL C 1.2), one program built once per OpenCLKernels session.
// The host side is ClOps.java (argument order and roles) and OpenCLKernels.java (shapes, uploads).
//
// Conventions:
//  - every buffer is a dense row-major float (or int) array uploaded by the host; sizes are ints (< 2^31 elements);
//  - every kernel writes RAN_MAGIC into ran[0] from global work-item 0, so the host can prove the kernel really ran
//    on the device (Aparapi reports enqueue errors on stderr instead of throwing);
//  - op codes below must match ClCodes.java.

#define RAN_MAGIC 0x50524E34
#define MARK_RAN(ran) if (get_global_id(0) == 0 && get_global_id(1) == 0 && get_global_id(2) == 0) ran[0] = RAN_MAGIC

// unary ops (ClCodes.unary)
#define U_NEG 0
#define U_ABS 1
#define U_SQUARE 2
#define U_EXP 3
#define U_LOG 4
#define U_SQRT 5
#define U_RSQRT 6
#define U_SILU 7
#define U_SIGMOID 8
#define U_GELU 9
#define U_GELU_TANH 10
#define U_TANH 11
#define U_RELU 12
#define U_RECIPROCAL 13

// binary ops (ClCodes.binary)
#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_MAX 4
#define B_MIN 5
#define B_POW 6

// reductions (ClCodes.reduce)
#define R_SUM 0
#define R_MEAN 1
#define R_MAX 2
#define R_MIN 3

#define ROW_WG 128
#define EW_WG 256
#define MAX_RANK 8

// ------------------------------------------------------------------ scalar helpers

// java.lang.Math.max/min semantics: NaN wins, -0.0 < 0.0.
float jmax(float a, float b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == 0.0f && b == 0.0f) return signbit(a) ? b : a;
    return a >= b ? a : b;
}

float jmin(float a, float b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == 0.0f && b == 0.0f) return signbit(a) ? a : b;
    return a <= b ? a : b;
}

float unary_op(int op, float x) {
    switch (op) {
        case U_NEG: return -x;
        case U_ABS: return fabs(x);
        case U_SQUARE: return x * x;
        case U_EXP: return exp(x);
        case U_LOG: return log(x);
        case U_SQRT: return sqrt(x);
        case U_RSQRT: return 1.0f / sqrt(x);
        case U_SILU: return x / (1.0f + exp(-x));
        case U_SIGMOID: return 1.0f / (1.0f + exp(-x));
        // as the oracle: 0.5 x erfc(-x / sqrt 2) and x / (1 + exp(-2u)), which do not cancel in the negative tail
        case U_GELU: return 0.5f * x * erfc(-x * 0.70710678118654752f);
        case U_GELU_TANH: return x / (1.0f + exp(-2.0f * 0.79788456080286536f * (x + 0.044715f * x * x * x)));
        case U_TANH: return tanh(x);
        case U_RELU: return jmax(x, 0.0f);
        case U_RECIPROCAL: return 1.0f / x;
    }
    return NAN;
}

float binary_op(int op, float a, float b) {
    switch (op) {
        case B_ADD: return a + b;
        case B_SUB: return a - b;
        case B_MUL: return a * b;
        case B_DIV: return a / b;
        case B_MAX: return jmax(a, b);
        case B_MIN: return jmin(a, b);
        case B_POW: return pow(a, b);
    }
    return NAN;
}

// Work-group reductions over `size` work-items (a power of two, the local size); every work-item gets the result.
float group_sum(__local float* red, float v, int size) {
    int lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = size / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

float group_max(__local float* red, float v, int size) {
    int lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = size / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] = jmax(red[lid], red[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

float group_min(__local float* red, float v, int size) {
    int lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = size / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] = jmin(red[lid], red[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

// ------------------------------------------------------------------ products

// Batched tiled GEMM: c[bi] (m x n) = a[bi] (m x k) @ B[bi], where B is b (k x n) row-major, or, when bT,
// b holds B^T (n x k) row-major (a Hugging Face [out, in] weight). offs[3*bi .. 3*bi+2] are the element offsets of
// matrix bi in a, b and c (broadcast batches repeat offsets). Work-group 16x16 computes a 64x64 tile of c, each
// work-item a 4x4 block (rows ty+16i, cols tx+16j), stepping k by 16 through local memory.
#define GT 64
#define GK 16
#define GL 16
__kernel __attribute__((reqd_work_group_size(GL, GL, 1)))
void gemm(__global const float* a, __global const float* b, __global float* c, __global const int* offs,
          int m, int n, int k, int bT, __global int* ran) {
    __local float tileA[GK][GT + 1];
    __local float tileB[GK][GT + 1];
    MARK_RAN(ran);
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int n0 = get_group_id(0) * GT, m0 = get_group_id(1) * GT, bi = get_global_id(2);
    const int lid = ty * GL + tx;
    __global const float* A = a + offs[3 * bi];
    __global const float* B = b + offs[3 * bi + 1];
    __global float* C = c + offs[3 * bi + 2];
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;
    for (int k0 = 0; k0 < k; k0 += GK) {
        for (int e = lid; e < GT * GK; e += GL * GL) {
            int r = e / GK, kk = e % GK;            // consecutive work-items read consecutive k of one row
            int gm = m0 + r, gk = k0 + kk;
            tileA[kk][r] = (gm < m && gk < k) ? A[gm * k + gk] : 0.0f;
            if (bT) {
                int gn = n0 + r;
                tileB[kk][r] = (gn < n && gk < k) ? B[gn * k + gk] : 0.0f;
            } else {
                int kr = e / GT, cc = e % GT;       // consecutive work-items read consecutive n of one row
                int gk2 = k0 + kr, gn = n0 + cc;
                tileB[kr][cc] = (gn < n && gk2 < k) ? B[gk2 * n + gn] : 0.0f;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < GK; kk++) {
            float ar[4], br[4];
            for (int i = 0; i < 4; i++) ar[i] = tileA[kk][ty + GL * i];
            for (int j = 0; j < 4; j++) br[j] = tileB[kk][tx + GL * j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = fma(ar[i], br[j], acc[i][j]);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < 4; i++) {
        int gm = m0 + ty + GL * i;
        if (gm >= m) continue;
        for (int j = 0; j < 4; j++) {
            int gn = n0 + tx + GL * j;
            if (gn < n) C[gm * n + gn] = acc[i][j];
        }
    }
}

// Batched GEMV-like product for few rows against a weight stored transposed (b = B^T, n x k): each work-group of
// 64 computes 4 outputs of one row of a, the 64 work-items striding over k (coalesced) and reducing in local memory.
#define VW 64
#define VR 4
__kernel __attribute__((reqd_work_group_size(VW, 1, 1)))
void gemv(__global const float* a, __global const float* b, __global float* c, __global const int* offs,
          int m, int n, int k, __global int* ran) {
    __local float red[VR][VW];
    MARK_RAN(ran);
    const int lid = get_local_id(0), bi = get_global_id(1);
    const int blocks = (n + VR - 1) / VR;
    __global const float* A = a + offs[3 * bi];
    __global const float* B = b + offs[3 * bi + 1];
    __global float* C = c + offs[3 * bi + 2];
    for (int g = get_group_id(0); g < m * blocks; g += get_num_groups(0)) {
        const int row = g / blocks, j0 = (g % blocks) * VR;
        float s[VR];
        for (int r = 0; r < VR; r++) s[r] = 0.0f;
        for (int kk = lid; kk < k; kk += VW) {
            float x = A[row * k + kk];
            for (int r = 0; r < VR; r++)
                if (j0 + r < n) s[r] = fma(x, B[(j0 + r) * k + kk], s[r]);
        }
        for (int r = 0; r < VR; r++) red[r][lid] = s[r];
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int st = VW / 2; st > 0; st >>= 1) {
            if (lid < st)
                for (int r = 0; r < VR; r++) red[r][lid] += red[r][lid + st];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (lid < VR && j0 + lid < n) C[row * n + j0 + lid] = red[lid][0];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
}

// The same product for few rows against b stored as is (k x n): one work-item per output, consecutive work-items on
// consecutive columns (coalesced reads of each row of b), no local memory.
__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void gemvN(__global const float* a, __global const float* b, __global float* c, __global const int* offs,
           int m, int n, int k, __global int* ran) {
    MARK_RAN(ran);
    const int bi = get_global_id(1);
    __global const float* A = a + offs[3 * bi];
    __global const float* B = b + offs[3 * bi + 1];
    __global float* C = c + offs[3 * bi + 2];
    for (int e = get_global_id(0); e < m * n; e += get_global_size(0)) {
        const int row = e / n, j = e % n;
        float s = 0.0f;
        for (int p = 0; p < k; p++) s = fma(A[row * k + p], B[p * n + j], s);
        C[e] = s;
    }
}

// Fused causal/full attention with grouped key/value heads, one work-group per query row (b, t, h):
// q [B, T, H, D], k and v [B, S, Hkv, D], out [B, T, H, D]. Keys are visited in chunks of 64 with an online
// (running max) softmax, so S is unbounded; each work-item scores one key of the chunk, then accumulates the
// output dims lid, lid+64, ... (D <= 64 * ATT_DPER).
#define ATT_WG 64
#define ATT_DPER 8
__kernel __attribute__((reqd_work_group_size(ATT_WG, 1, 1)))
void attention(__global const float* q, __global const float* k, __global const float* v, __global float* out,
               int B, int T, int H, int D, int S, int Hkv, float scale, int causal, __global int* ran) {
    __local float red[ATT_WG];
    __local float p[ATT_WG];
    MARK_RAN(ran);
    const int lid = get_local_id(0);
    const int group = H / Hkv;
    const int rows = B * T * H;
    for (int row = get_group_id(0); row < rows; row += get_num_groups(0)) {
        const int h = row % H, t = (row / H) % T, b = row / (H * T);
        const int kh = h / group;
        __global const float* qr = q + (size_t) row * D;
        const int visible = causal ? S - T + t + 1 : S;
        float acc[ATT_DPER];
        for (int i = 0; i < ATT_DPER; i++) acc[i] = 0.0f;
        float mRun = -INFINITY, lRun = 0.0f;
        for (int j0 = 0; j0 < visible; j0 += ATT_WG) {
            const int j = j0 + lid;
            float s = -INFINITY;
            if (j < visible) {
                __global const float* kr = k + ((size_t) (b * S + j) * Hkv + kh) * D;
                float dot = 0.0f;
                for (int d = 0; d < D; d++) dot = fma(qr[d], kr[d], dot);
                s = dot * scale;
            }
            const float mNew = jmax(mRun, group_max(red, s, ATT_WG));
            const float pj = j < visible ? exp(s - mNew) : 0.0f;
            p[lid] = pj;
            const float csum = group_sum(red, pj, ATT_WG);    // its barriers also publish p[]
            const float corr = exp(mRun - mNew);
            lRun = lRun * corr + csum;
            const int cnt = min(ATT_WG, visible - j0);
            for (int i = 0; i < ATT_DPER; i++) {
                const int d = lid + i * ATT_WG;
                if (d < D) {
                    float o = acc[i] * corr;
                    __global const float* vc = v + ((size_t) (b * S + j0) * Hkv + kh) * D + d;
                    for (int jj = 0; jj < cnt; jj++) o = fma(p[jj], vc[(size_t) jj * Hkv * D], o);
                    acc[i] = o;
                }
            }
            barrier(CLK_LOCAL_MEM_FENCE);   // p[] is rewritten by the next chunk
            mRun = mNew;
        }
        for (int i = 0; i < ATT_DPER; i++) {
            const int d = lid + i * ATT_WG;
            if (d < D) out[(size_t) row * D + d] = visible > 0 ? acc[i] / lRun : 0.0f;
        }
    }
}

// ------------------------------------------------------------------ last-dim rows

// softmax (logMode 0) or log-softmax (logMode 1) over rows of `cols`, subtracting the row max.
__kernel __attribute__((reqd_work_group_size(ROW_WG, 1, 1)))
void softmax(__global const float* x, __global float* y, int rows, int cols, int logMode, __global int* ran) {
    __local float red[ROW_WG];
    MARK_RAN(ran);
    const int lid = get_local_id(0);
    for (int row = get_group_id(0); row < rows; row += get_num_groups(0)) {
        __global const float* xr = x + (size_t) row * cols;
        __global float* yr = y + (size_t) row * cols;
        float mx = -INFINITY;
        for (int j = lid; j < cols; j += ROW_WG) mx = jmax(mx, xr[j]);
        mx = group_max(red, mx, ROW_WG);
        float s = 0.0f;
        for (int j = lid; j < cols; j += ROW_WG) s += exp(xr[j] - mx);
        s = group_sum(red, s, ROW_WG);
        if (logMode) {
            const float ls = log(s);
            for (int j = lid; j < cols; j += ROW_WG) yr[j] = (xr[j] - mx) - ls;
        } else {
            for (int j = lid; j < cols; j += ROW_WG) yr[j] = exp(xr[j] - mx) / s;
        }
    }
}

// y = x / sqrt(mean(x^2) + eps) * w over rows (w ignored unless hasW).
__kernel __attribute__((reqd_work_group_size(ROW_WG, 1, 1)))
void rmsNorm(__global const float* x, __global const float* w, __global float* y, int rows, int cols, int hasW,
             float eps, __global int* ran) {
    __local float red[ROW_WG];
    MARK_RAN(ran);
    const int lid = get_local_id(0);
    for (int row = get_group_id(0); row < rows; row += get_num_groups(0)) {
        __global const float* xr = x + (size_t) row * cols;
        __global float* yr = y + (size_t) row * cols;
        float ss = 0.0f;
        for (int j = lid; j < cols; j += ROW_WG) ss = fma(xr[j], xr[j], ss);
        ss = group_sum(red, ss, ROW_WG);
        const float inv = 1.0f / sqrt(ss / cols + eps);
        for (int j = lid; j < cols; j += ROW_WG) yr[j] = hasW ? xr[j] * inv * w[j] : xr[j] * inv;
    }
}

// y = (x - mean) / sqrt(var + eps) * w + bias over rows (biased variance, two passes).
__kernel __attribute__((reqd_work_group_size(ROW_WG, 1, 1)))
void layerNorm(__global const float* x, __global const float* w, __global const float* bias, __global float* y,
               int rows, int cols, int hasW, int hasB, float eps, __global int* ran) {
    __local float red[ROW_WG];
    MARK_RAN(ran);
    const int lid = get_local_id(0);
    for (int row = get_group_id(0); row < rows; row += get_num_groups(0)) {
        __global const float* xr = x + (size_t) row * cols;
        __global float* yr = y + (size_t) row * cols;
        float s = 0.0f;
        for (int j = lid; j < cols; j += ROW_WG) s += xr[j];
        const float mean = group_sum(red, s, ROW_WG) / cols;
        float v = 0.0f;
        for (int j = lid; j < cols; j += ROW_WG) {
            float d = xr[j] - mean;
            v = fma(d, d, v);
        }
        const float inv = 1.0f / sqrt(group_sum(red, v, ROW_WG) / cols + eps);
        for (int j = lid; j < cols; j += ROW_WG) {
            float o = (xr[j] - mean) * inv;
            if (hasW) o *= w[j];
            if (hasB) o += bias[j];
            yr[j] = o;
        }
    }
}

// One value per row of `cols`: sum, mean, max or min (NaN propagates, as in the oracle).
__kernel __attribute__((reqd_work_group_size(ROW_WG, 1, 1)))
void reduceRows(__global const float* x, __global float* y, int rows, int cols, int op, __global int* ran) {
    __local float red[ROW_WG];
    MARK_RAN(ran);
    const int lid = get_local_id(0);
    for (int row = get_group_id(0); row < rows; row += get_num_groups(0)) {
        __global const float* xr = x + (size_t) row * cols;
        float r;
        if (op == R_MAX) {
            float a = -INFINITY;
            for (int j = lid; j < cols; j += ROW_WG) a = jmax(a, xr[j]);
            r = group_max(red, a, ROW_WG);
        } else if (op == R_MIN) {
            float a = INFINITY;
            for (int j = lid; j < cols; j += ROW_WG) a = jmin(a, xr[j]);
            r = group_min(red, a, ROW_WG);
        } else {
            float a = 0.0f;
            for (int j = lid; j < cols; j += ROW_WG) a += xr[j];
            r = group_sum(red, a, ROW_WG);
            if (op == R_MEAN) r = r / cols;
        }
        if (lid == 0) y[row] = r;
    }
}

// Rotary embedding of x [rows = (...)*T*H, D] with cos, sin [T, D/2]: row r is token t = (r / H) % T.
__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void rope(__global const float* x, __global const float* cosT, __global const float* sinT, __global float* y,
          int rows, int T, int H, int D, int interleaved, __global int* ran) {
    MARK_RAN(ran);
    const int hd = D / 2;
    const int total = rows * hd;
    for (int e = get_global_id(0); e < total; e += get_global_size(0)) {
        const int r = e / hd, i = e % hd;
        const int t = (r / H) % T;
        const int ia = interleaved ? 2 * i : i, ib = interleaved ? 2 * i + 1 : i + hd;
        const float a = x[r * D + ia], b = x[r * D + ib];
        const float c = cosT[t * hd + i], s = sinT[t * hd + i];
        y[r * D + ia] = a * c - b * s;
        y[r * D + ib] = b * c + a * s;
    }
}

// ------------------------------------------------------------------ elementwise

__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void swiglu(__global const float* g, __global const float* u, __global float* y, int n, __global int* ran) {
    MARK_RAN(ran);
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
        const float x = g[i];
        y[i] = x / (1.0f + exp(-x)) * u[i];
    }
}

__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void unary(__global const float* x, __global float* y, int n, int op, __global int* ran) {
    MARK_RAN(ran);
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) y[i] = unary_op(op, x[i]);
}

__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void scalarOp(__global const float* x, __global float* y, int n, int op, float s, __global int* ran) {
    MARK_RAN(ran);
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) y[i] = binary_op(op, x[i], s);
}

// Element offsets of output element i in each operand: meta = [rank, shape[rank], strides of operand 0[rank], ...].
int operand_offset(__global const int* meta, int i, int operand) {
    const int rank = meta[0];
    int off = 0;
    for (int d = rank - 1; d >= 0; d--) {
        const int size = meta[1 + d];
        off += (i % size) * meta[1 + rank * (1 + operand) + d];
        i /= size;
    }
    return off;
}

// y = a op b with numpy broadcasting (operand strides are 0 along broadcast dims).
__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void binary(__global const float* a, __global const float* b, __global float* y, __global const int* meta, int n,
            int op, __global int* ran) {
    MARK_RAN(ran);
    for (int i = get_global_id(0); i < n; i += get_global_size(0))
        y[i] = binary_op(op, a[operand_offset(meta, i, 0)], b[operand_offset(meta, i, 1)]);
}

// y = cond != 0 ? a : b, all three broadcast (where; maskedFill passes the fill value as a broadcast scalar a).
__kernel __attribute__((reqd_work_group_size(EW_WG, 1, 1)))
void where3(__global const float* cond, __global const float* a, __global const float* b, __global float* y,
            __global const int* meta, int n, __global int* ran) {
    MARK_RAN(ran);
    for (int i = get_global_id(0); i < n; i += get_global_size(0))
        y[i] = cond[operand_offset(meta, i, 0)] != 0.0f ? a[operand_offset(meta, i, 1)] : b[operand_offset(meta, i, 2)];
}
