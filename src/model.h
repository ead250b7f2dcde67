/* model.h — the MLP's shape and the layout of its one flat parameter buffer.
 * Layer k (0-based) maps sizes[k] inputs to sizes[k+1] outputs; its weight is (out, in)
 * row-major, PyTorch's nn.Linear layout, followed by its bias (out).  Every backend, the
 * optimizer, checkpoints and the HDF5 logs use this one layout.  Host-only; no math here. */
#ifndef OPTSWEEP_MODEL_H
#define OPTSWEEP_MODEL_H

#include <stddef.h>
#include "settings.h"

#define MODEL_MAX_LAYERS (SETTINGS_MAX_HIDDEN + 1)
#define MODEL_INPUT_DIM 784
#define MODEL_OUTPUT_DIM 10

typedef struct {
    int n_layers;                       /* linear layers = n_hidden + 1 */
    int sizes[MODEL_MAX_LAYERS + 1];    /* sizes[0] = 784, ..., sizes[n_layers] = 10 */
    activation_kind activation;         /* between layers, not after the last */
    size_t weight_offset[MODEL_MAX_LAYERS]; /* into the flat buffer, in floats */
    size_t bias_offset[MODEL_MAX_LAYERS];
    size_t n_params;                    /* total floats */
} model_shape;

/* Fills the shape and offsets from the model settings (input 784, output 10). */
void model_shape_init(model_shape *shape, const model_settings *m);

/* Mean over parameter tensors of each tensor's mean, absolute value taken after averaging
 * (the notebook's "mean weight"). */
double model_mean_weight(const model_shape *shape, const float *params);

#endif
