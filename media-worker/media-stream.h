/* media-stream: what a producer's RTP stream carries, as its consumers map it onto their own
 * (codecs by payload type, header extensions by id). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define MEDIA_STREAM_MAX_CODECS 8
#define MEDIA_STREAM_MAX_EXTS 16

typedef struct MediaStreamCodec {
    uint8_t payload_type;
    uint32_t clock_rate;
    char mime_type[32]; /* "video/VP8" */
} MediaStreamCodec;

typedef struct MediaStreamExt {
    uint8_t id;
    char uri[128];
} MediaStreamExt;

typedef struct MediaStream {
    size_t n_codecs, n_exts;
    MediaStreamCodec codecs[MEDIA_STREAM_MAX_CODECS];
    MediaStreamExt exts[MEDIA_STREAM_MAX_EXTS];
} MediaStream;
