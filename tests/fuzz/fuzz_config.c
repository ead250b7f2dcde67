/* fuzz_config.c — libFuzzer target: any bytes as a sweep file.  config_load_text must accept
 * or refuse them (file:line:col) without a crash, a leak, undefined behaviour or a hang
 * (run_fuzz.sh gives each input a time limit).  Seeds: configs/ and tests/config/bad/. */
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sweep sw;
    config_diags d;
    config_diags_init(&d);
    config_load_text(&sw, "fuzz.yaml", (const char *)data, size, &d);
    config_free(&sw);
    config_diags_free(&d);
    return 0;
}
