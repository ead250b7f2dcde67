/* optim_host.h — optim.h's host-side helpers, declared for the CUDA backend's host code.
 * optim.h hides these declarations from nvcc (#ifndef __CUDACC__); backend_cuda.cu needs
 * them to fill each epoch's table of step scalars on the host.  tests/gpu/test_gpu_parity.c
 * includes this header after optim.h under gcc, so if a signature here drifts from optim.h's,
 * the GPU test stops compiling instead of the backend silently calling with a wrong type. */
#ifndef OPTSWEEP_CUDA_OPTIM_HOST_H
#define OPTSWEEP_CUDA_OPTIM_HOST_H

#include <stddef.h>

#include "optim.h"
#include "settings.h"

#ifdef __cplusplus
extern "C" {
#endif

int optim_state_slots(const optim_settings *o);
void optim_state_init(const optim_settings *o, float *state, size_t n);
void optim_prepare_step(const optim_settings *o, double lr, long step, optim_step *out);

#ifdef __cplusplus
}
#endif
#endif
