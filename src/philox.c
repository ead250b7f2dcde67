/* philox.c — host-side permutation by Philox keys (a stable LSD radix sort on 32-bit keys),
 * the CPU twin of the GPU's random keys + cub radix sort. */
#include "philox.h"

#include <stdlib.h>
#include <string.h>

int philox_permutation(uint64_t seed, uint64_t stream, int n, int32_t *perm)
{
    uint32_t *keys = malloc(sizeof(uint32_t) * (size_t)(n ? n : 1) * 2);
    int32_t *tmp = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    if (!keys || !tmp) {
        free(keys);
        free(tmp);
        return -1;
    }
    uint32_t *keys_tmp = keys + n;
    for (int i = 0; i < n; i++) {
        keys[i] = philox_u32(seed, stream, (uint64_t)i);
        perm[i] = i;
    }
    /* four passes of 8 bits; each pass is stable, so equal keys keep index order */
    for (int shift = 0; shift < 32; shift += 8) {
        size_t count[257];
        memset(count, 0, sizeof count);
        for (int i = 0; i < n; i++) count[((keys[i] >> shift) & 0xFF) + 1]++;
        for (int b = 0; b < 256; b++) count[b + 1] += count[b];
        for (int i = 0; i < n; i++) {
            size_t dst = count[(keys[i] >> shift) & 0xFF]++;
            keys_tmp[dst] = keys[i];
            tmp[dst] = perm[i];
        }
        memcpy(keys, keys_tmp, sizeof(uint32_t) * (size_t)n);
        memcpy(perm, tmp, sizeof(int32_t) * (size_t)n);
    }
    free(keys);
    free(tmp);
    return 0;
}
