/* philox.h — counter-based randomness: Philox4x32-10 exactly as cuRAND's device API computes
 * it (curandStatePhilox4_32_10_t), so the CPU and the GPU draw the same numbers.
 * Every random quantity of a run is a pure function of (seed, stream, index):
 *   init:          stream PHILOX_STREAM_INIT,   index = flat parameter index (model.h layout)
 *   split:         stream PHILOX_STREAM_SPLIT,  key of data index i (seed = data.split_seed)
 *   epoch e order: stream PHILOX_STREAM_EPOCH0 + e, key of training index i
 * philox_u32(seed, stream, n) equals the value of curand(&s) after
 * curand_init(seed, stream, n, &s).  Compiled by gcc and nvcc. */
#ifndef OPTSWEEP_PHILOX_H
#define OPTSWEEP_PHILOX_H

#include <stdint.h>

#ifdef __CUDACC__
#define PHILOX_HD __host__ __device__
#else
#define PHILOX_HD
#endif

enum { PHILOX_STREAM_INIT = 0, PHILOX_STREAM_SPLIT = 1, PHILOX_STREAM_EPOCH0 = 2 };

typedef struct { uint32_t x, y, z, w; } philox_ctr;

/* reference: cuRAND curand_philox4x32_x.h (_philox4x32round, PHILOX_W32_*, PHILOX_M4x32_*) */
PHILOX_HD static inline philox_ctr philox_round(philox_ctr c, uint32_t k0, uint32_t k1)
{
    uint64_t p0 = (uint64_t)0xD2511F53u * c.x;
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c.z;
    philox_ctr r;
    r.x = (uint32_t)(p1 >> 32) ^ c.y ^ k0;
    r.y = (uint32_t)p1;
    r.z = (uint32_t)(p0 >> 32) ^ c.w ^ k1;
    r.w = (uint32_t)p0;
    return r;
}

PHILOX_HD static inline philox_ctr philox4x32_10(philox_ctr c, uint32_t k0, uint32_t k1)
{
    for (int i = 0; i < 10; i++) {
        c = philox_round(c, k0, k1);
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return c;
}

/* The n-th 32-bit output (n from 0) of stream `stream` under `seed`.  cuRAND keeps four
 * outputs per counter: counter (x, y) = n / 4, (z, w) = stream, component n % 4. */
PHILOX_HD static inline uint32_t philox_u32(uint64_t seed, uint64_t stream, uint64_t n)
{
    uint64_t block = n >> 2;
    philox_ctr c;
    c.x = (uint32_t)block;
    c.y = (uint32_t)(block >> 32);
    c.z = (uint32_t)stream;
    c.w = (uint32_t)(stream >> 32);
    c = philox4x32_10(c, (uint32_t)seed, (uint32_t)(seed >> 32));
    switch (n & 3) {
    case 0: return c.x;
    case 1: return c.y;
    case 2: return c.z;
    default: return c.w;
    }
}

/* As curand_uniform: a float in (0, 1]. */
PHILOX_HD static inline float philox_uniform_from_u32(uint32_t x)
{
    return (float)x * 2.3283064e-10f + (2.3283064e-10f / 2.0f);
}

/* nn.Linear's default init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases:
 * value = (2u - 1) * bound, u = uniform of the flat index, bound computed in double. */
PHILOX_HD static inline float philox_init_value(uint32_t x, float bound)
{
    float u = philox_uniform_from_u32(x);
    return (2.0f * u - 1.0f) * bound;
}

#ifndef __CUDACC__
/* Host: the permutation of 0..n-1 that sorts the keys philox_u32(seed, stream, i) ascending,
 * ties by index (a stable LSD radix sort, as cub's on the GPU).  perm has n entries.
 * Defined in philox.c.  Returns 0, or -1 on allocation failure. */
int philox_permutation(uint64_t seed, uint64_t stream, int n, int32_t *perm);
#endif

#endif
