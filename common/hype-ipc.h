/* hype-ipc: the IPC frame codec: 4-byte big-endian length + packed Envelope; bytes in, messages
 * out. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hype.pb-c.h"

#define IPC_PROTOCOL_VERSION 1
#define IPC_FRAME_MAX (1u << 20) /* payloads over 1 MiB are a protocol error */
#define IPC_HEADER_SIZE 4

/*
 * Encodes env into a new malloc'ed buffer holding one whole frame (header + payload).
 * -EMSGSIZE when the packed envelope exceeds IPC_FRAME_MAX.
 */
int ipc_frame_encode(const Hype__Envelope *env, uint8_t **ret_buf, size_t *ret_len);

/* Packed size of env plus the header, for callers that encode into their own buffer. */
size_t ipc_frame_size(const Hype__Envelope *env);
/* Encodes into buf (at least ipc_frame_size(env) bytes); returns bytes written or -EMSGSIZE. */
int ipc_frame_encode_into(const Hype__Envelope *env, uint8_t *buf, size_t size);

/*
 * Incremental decoder: feed it bytes as they arrive, in pieces of any size (one byte at a time
 * works), then pop whole envelopes. Knows no event loop.
 */
typedef struct IpcDecoder {
    uint8_t *buf;
    size_t len, cap;
    size_t max_frame;
    int error; /* sticky: once a protocol error is seen, every call returns it */
} IpcDecoder;

void ipc_decoder_init(IpcDecoder *d, size_t max_frame /* 0 = IPC_FRAME_MAX */);
void ipc_decoder_done(IpcDecoder *d);
/* Copies n bytes in. -ENOMEM only. */
int ipc_decoder_feed(IpcDecoder *d, const void *data, size_t n);
/*
 * Returns 1 and a new envelope (free with hype__envelope__free_unpacked(env, NULL)) when a whole
 * frame is buffered, 0 when more bytes are needed, -EMSGSIZE when the announced length exceeds
 * max_frame (detected as soon as the 4 header bytes are in), -EBADMSG when the payload does not
 * unpack as an Envelope. Errors are sticky.
 */
int ipc_decoder_next(IpcDecoder *d, Hype__Envelope **ret_env);
/*
 * Bytes still missing from the frame being buffered: the rest of the header, then the rest of the
 * payload; 0 once a whole frame is buffered. A caller that feeds no more than this keeps at most
 * one frame here (hype-ipc-peer decodes whole frames straight from what it reads).
 */
size_t ipc_decoder_missing(const IpcDecoder *d);

/* Convenience for a whole-buffer decode (the fuzz target uses it): 1/0/-errno as above,
 * *ret_consumed bytes eaten. */
int ipc_frame_decode(const uint8_t *data, size_t n, size_t max_frame, Hype__Envelope **ret_env,
                     size_t *ret_consumed);
