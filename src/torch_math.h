/* torch_math.h — the float exp and log that torch 1.13's vectorised CPU kernels use (SLEEF
 * 3.5's Sleef_expf8_u10 and Sleef_logf8_u10, AVX2 with FMA: within 1 ulp, not correctly
 * rounded) and the order torch sums a short row of floats in (vec::map_reduce_all), so that
 * cross-entropy's log-softmax and its gradient get torch's bits.  glibc's expf is correctly
 * rounded and differs from SLEEF's in ~9% of arguments; that difference is deterministic per
 * value, so it shifted every trajectory the same way (issue #12).  Also the cross-entropy
 * row built from them.  static inline, compiled by gcc (backend_cpu.c) and nvcc
 * (cuda/ops_loss.cu) alike; checked bit for bit against torch by tests/numerics/test_torch_math.c. */
#ifndef OPTSWEEP_TORCH_MATH_H
#define OPTSWEEP_TORCH_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifdef __CUDACC__
#define TORCH_MATH_FN static __host__ __device__ __forceinline__
#else
#define TORCH_MATH_FN static inline
#endif

/* one IEEE rounding per call on host and device (nvcc would otherwise contract a*b+c) */
TORCH_MATH_FN float tm_fma(float a, float b, float c)
{
#ifdef __CUDA_ARCH__
    return __fmaf_rn(a, b, c);
#else
    return fmaf(a, b, c);
#endif
}
TORCH_MATH_FN float tm_mul(float a, float b)
{
#ifdef __CUDA_ARCH__
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}
TORCH_MATH_FN float tm_add(float a, float b)
{
#ifdef __CUDA_ARCH__
    return __fadd_rn(a, b);
#else
    return a + b;
#endif
}
TORCH_MATH_FN float tm_sub(float a, float b)
{
#ifdef __CUDA_ARCH__
    return __fsub_rn(a, b);
#else
    return a - b;
#endif
}
TORCH_MATH_FN float tm_div(float a, float b)
{
#ifdef __CUDA_ARCH__
    return __fdiv_rn(a, b);
#else
    return a / b;
#endif
}
TORCH_MATH_FN int32_t tm_bits(float x)
{
    int32_t i;
    memcpy(&i, &x, sizeof i);
    return i;
}
TORCH_MATH_FN float tm_float(int32_t i)
{
    float x;
    memcpy(&x, &i, sizeof x);
    return x;
}
/* 2^q for q in the normal range (SLEEF's vpow2i) */
TORCH_MATH_FN float tm_pow2i(int32_t q) { return tm_float((int32_t)((uint32_t)(q + 0x7f) << 23)); }
/* round half to even, as vcvtps2dq under the default rounding mode (SLEEF's vrint_vi2_vf) */
TORCH_MATH_FN int32_t tm_rint(float x)
{
#ifdef __CUDA_ARCH__
    return __float2int_rn(x);
#else
    return (int32_t)nearbyintf(x);
#endif
}

/* reference: https://github.com/shibatch/sleef/blob/3.5.1/src/libm/sleefsimdsp.c (xexpf)
 * q = rint(d / ln 2); s = d - q ln 2 (two FMAs, ln 2 split in L2U + L2L); a degree-7 polynomial
 * in s; times 2^q in two halves; 0 below -104, +inf above 100. */
TORCH_MATH_FN float torch_expf(float d)
{
    const float R_LN2f = 1.442695040888963407359924681001892137426645954152985934135449406931f;
    const float L2Uf = 0.693145751953125f, L2Lf = 1.428606765330187045e-06f;
    int32_t q = tm_rint(tm_mul(d, R_LN2f));
    float s = tm_fma((float)q, -L2Uf, d);
    s = tm_fma((float)q, -L2Lf, s);
    float u = 0.000198527617612853646278381f;
    u = tm_fma(u, s, 0.00139304355252534151077271f);
    u = tm_fma(u, s, 0.00833336077630519866943359f);
    u = tm_fma(u, s, 0.0416664853692054748535156f);
    u = tm_fma(u, s, 0.166666671633720397949219f);
    u = tm_fma(u, s, 0.5f);
    u = tm_add(1.0f, tm_fma(tm_mul(s, s), u, s));
    /* vldexp2: u * 2^(q >> 1) * 2^(q - (q >> 1)) */
    u = tm_mul(tm_mul(u, tm_pow2i(q >> 1)), tm_pow2i(q - (q >> 1)));
    if (d < -104.0f) u = 0.0f;
    if (d > 100.0f) u = INFINITY;
    return u;
}

/* ---- SLEEF's double-float helpers (df.h, the FMA build) -------------------------------- */
typedef struct {
    float x, y;
} tm_float2;

TORCH_MATH_FN tm_float2 tm_df(float x, float y)
{
    tm_float2 r = {x, y};
    return r;
}
/* dfadd2_vf2_vf_vf: x + y exactly as a pair (any magnitudes) */
TORCH_MATH_FN tm_float2 tm_dfadd2_ff(float x, float y)
{
    float s = tm_add(x, y);
    float v = tm_sub(s, x);
    return tm_df(s, tm_add(tm_sub(x, tm_sub(s, v)), tm_sub(y, v)));
}
/* dfadd_vf2_vf2_vf2 (|x| >= |y|) */
TORCH_MATH_FN tm_float2 tm_dfadd_22(tm_float2 x, tm_float2 y)
{
    float s = tm_add(x.x, y.x);
    return tm_df(s, tm_add(tm_add(tm_add(tm_sub(x.x, s), y.x), x.y), y.y));
}
/* dfadd_vf2_vf2_vf (|x| >= |y|) */
TORCH_MATH_FN tm_float2 tm_dfadd_2f(tm_float2 x, float y)
{
    float s = tm_add(x.x, y);
    return tm_df(s, tm_add(tm_add(tm_sub(x.x, s), y), x.y));
}
TORCH_MATH_FN tm_float2 tm_dfscale(tm_float2 d, float s)
{
    return tm_df(tm_mul(d.x, s), tm_mul(d.y, s));
}
/* dfmul_vf2_vf2_vf: s = x.x y; lo = x.y y + (x.x y - s) */
TORCH_MATH_FN tm_float2 tm_dfmul_2f(tm_float2 x, float y)
{
    float s = tm_mul(x.x, y);
    return tm_df(s, tm_fma(x.y, y, tm_fma(x.x, y, -s)));
}
/* dfdiv_vf2_vf2_vf2 */
TORCH_MATH_FN tm_float2 tm_dfdiv(tm_float2 n, tm_float2 d)
{
    float t = tm_div(1.0f, d.x);
    float s = tm_mul(n.x, t);
    float u = tm_fma(t, n.x, -s);
    float v = tm_fma(-d.y, t, tm_fma(-d.x, t, 1.0f));
    return tm_df(s, tm_fma(s, v, tm_fma(n.y, t, u)));
}

/* reference: https://github.com/shibatch/sleef/blob/3.5.1/src/libm/sleefsimdsp.c (xlogf_u1)
 * d = m 2^e with m in [0.75, 1.5); log d = e ln 2 + 2 atanh((m - 1) / (m + 1)), in
 * double-float.  Positive finite arguments (a sum of exponentials here); others as SLEEF. */
TORCH_MATH_FN float torch_logf(float d)
{
    const int tiny = d < 1.17549435e-38f; /* SLEEF_FLT_MIN: scale subnormals up by 2^64 */
    if (tiny) d = tm_mul(d, 18446744073709551616.0f);
    int32_t e = ((tm_bits(tm_mul(d, 1.0f / 0.75f)) >> 23) & 0xff) - 0x7f; /* vilogb2k */
    float m = tm_float(tm_bits(d) + (int32_t)((uint32_t)(-e) << 23));  /* vldexp3(d, -e) */
    if (tiny) e -= 64;
    tm_float2 s = tm_dfmul_2f(tm_df(0.69314718246459960938f, -1.904654323148236017e-09f),
                              (float)e);
    tm_float2 x = tm_dfdiv(tm_dfadd2_ff(-1.0f, m), tm_dfadd2_ff(1.0f, m));
    float x2 = tm_mul(x.x, x.x);
    float t = +0.3027294874e+0f;
    t = tm_fma(t, x2, +0.3996108174e+0f);
    t = tm_fma(t, x2, +0.6666694880e+0f);
    s = tm_dfadd_22(s, tm_dfscale(x, 2.0f));
    s = tm_dfadd_2f(s, tm_mul(tm_mul(x2, x.x), t));
    float r = tm_add(s.x, s.y);
    if (d == INFINITY) r = INFINITY;
    if (d < 0.0f || d != d) r = NAN;
    if (d == 0.0f) r = -INFINITY;
    return r;
}

/* The sum of exp(row[j] - mx) as torch's vec::map_reduce_all adds n >= 8 values with
 * 8-lane AVX2 vectors: lanes take elements j, j + 8, ... (the last partial vector into the
 * low lanes), then the lanes fold as vec_reduce_all's shuffles do: i + (i ^ 4), then
 * i + (i ^ 2), then lane 0 + lane 1.  (Our models have 10 classes; fewer than 8 are summed
 * in order.) */
TORCH_MATH_FN float torch_sum_exp(const float *row, int n, float mx)
{
    if (n < 8) {
        float s = 0.0f;
        for (int j = 0; j < n; j++) s = tm_add(s, torch_expf(tm_sub(row[j], mx)));
        return s;
    }
    float acc[8];
    for (int l = 0; l < 8; l++) acc[l] = torch_expf(tm_sub(row[l], mx));
    for (int j = 8; j < n; j++) acc[j % 8] = tm_add(acc[j % 8], torch_expf(tm_sub(row[j], mx)));
    float a[4], b[2];
    for (int l = 0; l < 4; l++) a[l] = tm_add(acc[l], acc[l + 4]);
    for (int l = 0; l < 2; l++) b[l] = tm_add(a[l], a[l + 2]);
    return tm_add(b[0], b[1]);
}

/* One row of cross_entropy(z, label) as torch's CPU kernels compute it: log_softmax
 * (SoftMaxKernel.cpp _vec_log_softmax_lastdim: logp = (z - max) - log(sum exp(z - max)), in
 * that order) and, when dz is not NULL, its backward for a batch whose nll_loss gradient is g
 * at the label (g = -(1/m) for the mean over m rows): dz_j = g_j - exp(logp_j) * g
 * (_vec_log_softmax_backward, sum(g_row) = g), fused as torch's build fuses it.  Returns logp[label]. */
TORCH_MATH_FN float torch_cross_entropy_row(const float *z, int classes, int label, float g,
                                            float *dz)
{
    float mx = z[0];
    for (int j = 1; j < classes; j++) mx = z[j] > mx ? z[j] : mx;
    const float log_sum = torch_logf(torch_sum_exp(z, classes, mx));
    if (dz) /* x - exp(y) * sum: gcc contracts torch's Vectorized mul and sub into one FMA */
        for (int j = 0; j < classes; j++)
            dz[j] = tm_fma(-torch_expf(tm_sub(tm_sub(z[j], mx), log_sum)), g,
                           j == label ? g : 0.0f);
    return tm_sub(tm_sub(z[label], mx), log_sum);
}

#endif
