/* backend_cuda_stub.c — stands in for cuda/ when the build has no CUDA toolkit, so that
 * `train.backend: cuda` fails with a clear message instead of a link error. */
#include <stdio.h>
#include "backend.h"

backend *backend_cuda_create(const backend_config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    snprintf(err, errlen, "this optsweep was built without CUDA (the toolkit was not found "
             "at configure time); use train.backend: cpu, or rebuild with -DOPTSWEEP_CUDA=ON");
    return NULL;
}

int backend_cuda_available(void) { return 0; }
