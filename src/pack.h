/* pack.h — which runs of a plan train together.  A pack is up to train.pack runs with the
 * same model shape, batch size, data (data set, size, split, normalization), precision and
 * backend, trained in lockstep by one set of backends (backend_create_member, train_pack):
 * they share the data and, on the CPU, the threads and every batch's gather when they share
 * train.seed.  Runs may differ in everything else.  A run's results never depend on its
 * packmates, so packs change only how fast a sweep goes, never what it gives.  Used by the
 * runner and by `optsweep plan`, which shows the packs. */
#ifndef OPTSWEEP_PACK_H
#define OPTSWEEP_PACK_H

#include <stddef.h>

#include "plan.h"

/* The most runs auto puts in a pack. */
#define PACK_AUTO_MAX 64
/* auto's memory budget per pack: on the CPU a cache-sized one (what the runs' parameters,
 * gradients, optimizer state and a batch's activations take); on a GPU a share of its
 * memory that every H100/H200-class device has free. */
#define PACK_CPU_BUDGET ((size_t)64 << 20)
#define PACK_GPU_BUDGET ((size_t)8 << 30)

/* 1 when runs a and b may share a pack (both trained on the GPU, or both on the CPU). */
int pack_compatible(const run_settings *a, const run_settings *b);

/* Bytes one run takes beyond the shared data: parameters, gradients, optimizer state, a
 * batch's activations and deltas, in float32. */
size_t pack_run_bytes(const run_settings *s);

/* The largest pack run s may join: train.pack off: 1; N: N; auto: as many such runs as the
 * budget of its backend holds, at most PACK_AUTO_MAX, at least 1. */
int pack_limit(const run_settings *s, int on_gpu);

/* on_gpu (n_runs) = 1 for the runs that train on the GPU: backend_override (-1: none, else a
 * backend_kind) or the run's train.backend, `auto` meaning the GPU when one is usable. */
void pack_backends(const plan *p, int backend_override, unsigned char *on_gpu);

/* Splits the plan's runs into packs, in plan order: a pack starts at the first run not yet in
 * one and takes the compatible runs after it, up to pack_limit; with jobs > 1 also up to
 * ceil(compatible runs left / jobs), so that every worker process gets some.  on_gpu (n_runs,
 * or NULL: none) says where each run trains.  pack_of (n_runs) gets each run's pack, packs
 * numbered from 0 in the order of their first runs; returns the number of packs. */
int pack_partition(const plan *p, const unsigned char *on_gpu, int jobs, int *pack_of);

#endif
