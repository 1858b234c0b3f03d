/* sdp-tool: the SFU side of the fixture generators (gen-chromium.py, gen-aiortc.py), so that
 * real peers answer hype-sdp-sfu's offers and take its answers. Not part of the build:
 *   make build/libhype-common.a
 *   gcc -Icommon -o build/sdp-tool tests/unit/common/sdp/sdp-tool.c build/libhype-common.a
 *   sdp-tool answer < client-offer > sfu-answer
 *   sdp-tool offer 1|2|3|4 > sfu-offer      (the steps of sfu-steps.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sfu-steps.h"

static char err[SDP_ERROR_MAX];

static int print(Arena *a, const Sdp *sdp) {
    char *text;
    if (sdp_generate(a, sdp, &text, NULL, err, sizeof(err)) < 0)
        return -1;
    fputs(text, stdout);
    return 0;
}

static int answer(Arena *a) {
    static char text[SDP_MAX_SIZE];
    size_t n = fread(text, 1, sizeof(text), stdin);
    Sdp *offer, *sdp;
    if (sdp_parse(a, text, n, &offer, err, sizeof(err)) < 0 ||
        sdp_sfu_answer(a, offer, &sfu_local, &sdp_sfu_capabilities, &sdp, err, sizeof(err)) < 0)
        return -1;
    return print(a, sdp);
}

int main(int argc, char **argv) {
    Arena *a = arena_new();
    int step = argc == 3 ? atoi(argv[2]) : 0, r;
    Sdp *sdp;
    if (argc == 2 && strcmp(argv[1], "answer") == 0)
        r = answer(a);
    else if (argc == 3 && strcmp(argv[1], "offer") == 0 && step >= 1 && step <= SFU_STEPS)
        r = sfu_offer_step(a, step, &sdp, err, sizeof(err)) < 0 ? -1 : print(a, sdp);
    else
        r = -2;
    if (r == -1)
        fprintf(stderr, "sdp-tool: %s\n", err);
    if (r == -2)
        fprintf(stderr, "usage: sdp-tool answer < offer | sdp-tool offer 1-%d\n", SFU_STEPS);
    arena_free(a);
    return r < 0;
}
