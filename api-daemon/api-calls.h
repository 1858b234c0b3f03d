/* api-calls: what other modules of hype-api ask of the calls module (api-routes-calls.c). */
#pragma once

#include <stdint.h>

typedef struct Api Api;

/* a blocked b, or b blocked a: their ringing or active call, if any, ends ("blocked") and both
 * are told. Run after the block is committed; a failure is logged. */
void api_calls_end_between(Api *api, uint64_t a, uint64_t b);
