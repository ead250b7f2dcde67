/* model.c — the MLP's shape and flat-buffer layout (model.h): per layer its weight
 * (out, in) row-major, then its bias (out), layer after layer.  Also the notebook's
 * "mean weight" statistic.  No training math here (backend_cpu.c, cuda/). */
#include "model.h"

#include <math.h>

void model_shape_init(model_shape *shape, const model_settings *m)
{
    *shape = (model_shape){0};
    shape->n_layers = m->n_hidden + 1;
    shape->activation = m->activation;
    shape->sizes[0] = MODEL_INPUT_DIM;
    for (int k = 0; k < m->n_hidden; k++)
        shape->sizes[k + 1] = m->hidden[k];
    shape->sizes[shape->n_layers] = MODEL_OUTPUT_DIM;

    size_t off = 0;
    for (int k = 0; k < shape->n_layers; k++) {
        size_t in = (size_t)shape->sizes[k], out = (size_t)shape->sizes[k + 1];
        shape->weight_offset[k] = off;
        off += out * in;
        shape->bias_offset[k] = off;
        off += out;
    }
    shape->n_params = off;
}

/* Mean of n floats, summed in double (the notebook takes p.mean().item() per tensor; a
 * double sum differs from torch's float one by far less than the figure's printed digits). */
static double mean_of(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return n ? s / (double)n : 0.0;
}

/* The notebook's "mean weight": the mean over the 2L parameter tensors (each layer's weight,
 * then its bias, in model.parameters() order) of each tensor's mean, and the absolute value
 * of that average (the sign of a near-zero mean says nothing). */
double model_mean_weight(const model_shape *shape, const float *params)
{
    double sum = 0.0;
    for (int k = 0; k < shape->n_layers; k++) {
        size_t in = (size_t)shape->sizes[k], out = (size_t)shape->sizes[k + 1];
        sum += mean_of(params + shape->weight_offset[k], out * in);
        sum += mean_of(params + shape->bias_offset[k], out);
    }
    return shape->n_layers ? fabs(sum / (2.0 * shape->n_layers)) : 0.0;
}
