/* The NLMS front end's own entry points, besides its interface table (afe_interface.h). */
#ifndef ALGO_STREAM_AFE_NLMS_H
#define ALGO_STREAM_AFE_NLMS_H

#include <stddef.h>

#include "afe_interface.h"

#ifdef __cplusplus
extern "C" {
#endif

/* sizeof the instance struct on x86-64 (checked by a _Static_assert in afe_nlms.c). */
#define AFE_NLMS_INSTANCE_STRUCT_BYTES 432

esp_afe_sr_data_t *afe_nlms_create_from_config(afe_config_t *config);
/* Heap bytes of one instance created with these settings: the struct plus its four buffers. */
size_t afe_nlms_instance_bytes(int taps, int chunk, int queue_frames);
unsigned long long afe_nlms_frames_dropped(esp_afe_sr_data_t *afe);

#ifdef __cplusplus
}
#endif

#endif
