/* ortc-tool: hype-signal's side of gen-ortc.py, so that mediasoup-client in Chromium loads
 * signal-ortc's router capabilities and consumes with its consumer parameters. Not part of the
 * build:
 *   make build/libhype-signal.a build/libhype-common.a
 *   gcc -Icommon -Isignal-daemon -Ibuild/proto -I/usr/include/json-c \
 *     -o build/ortc-tool tests/unit/signal-daemon/ortc/ortc-tool.c \
 *     build/libhype-signal.a build/libhype-common.a -ljson-c -lprotobuf-c
 *   ortc-tool caps                  > router capabilities
 *   ortc-tool consume KIND MID < {"rtpParameters":…, "rtpCapabilities":…}
 *                                   > {id, producerId, kind, rtpParameters} for transport.consume
 * SSRCs come from the same counter as test-signal-ortc's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-json.h"
#include "ortc-random.h"
#include "signal-ortc.h"

static OrtcRtpParameters produced, consumable, consumer;
static OrtcRtpCapabilities caps;
static OrtcRtpMapping mapping;

int main(int argc, char **argv) {
    char err[ORTC_ERROR_MAX], text[1 << 16];
    json_object *in, *out;
    if (argc == 2 && strcmp(argv[1], "caps") == 0) {
        out = ortc_router_capabilities();
        puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(out);
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "consume") != 0) {
        fputs("usage: ortc-tool caps | consume KIND MID < {rtpParameters, rtpCapabilities}\n",
              stderr);
        return 2;
    }
    size_t len = fread(text, 1, sizeof(text), stdin);
    OrtcKind kind = ortc_kind_from_string(argv[2]);
    OrtcRandom rnd = ORTC_RANDOM_INIT(atoi(argv[3]));
    if (json_parse_strict(text, len, 32, &in, NULL) < 0 ||
        ortc_parse_rtp_parameters(json_get(in, "rtpParameters"), kind, &produced, err,
                                  sizeof(err)) < 0 ||
        ortc_parse_rtp_capabilities(json_get(in, "rtpCapabilities"), &caps, err, sizeof(err)) < 0 ||
        ortc_producer_mapping(kind, &produced, ortc_random_next, &rnd, &mapping, &consumable, err,
                              sizeof(err)) < 0 ||
        ortc_consumer_parameters(&consumable, &caps, argv[3], ortc_random_next, &rnd, &consumer,
                                 err, sizeof(err)) < 0) {
        fprintf(stderr, "ortc-tool: %s\n", err);
        return 1;
    }
    out = ortc_consume_options_json("c1", "p", kind, &consumer);
    puts(json_object_to_json_string_ext(out,
                                        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(out);
    json_object_put(in);
    return 0;
}
