/* hype-ipc: the IPC frame codec: 4-byte big-endian length + packed Envelope; bytes in, messages
 * out. */
#include "hype-ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

size_t ipc_frame_size(const Hype__Envelope *env) {
    return IPC_HEADER_SIZE + hype__envelope__get_packed_size(env);
}

int ipc_frame_encode_into(const Hype__Envelope *env, uint8_t *buf, size_t size) {
    size_t payload = hype__envelope__get_packed_size(env);
    if (payload > IPC_FRAME_MAX)
        return -EMSGSIZE;
    if (size < IPC_HEADER_SIZE + payload)
        return -ENOBUFS;
    put_be32(buf, (uint32_t)payload);
    hype__envelope__pack(env, buf + IPC_HEADER_SIZE);
    return (int)(IPC_HEADER_SIZE + payload);
}

int ipc_frame_encode(const Hype__Envelope *env, uint8_t **ret_buf, size_t *ret_len) {
    size_t payload = hype__envelope__get_packed_size(env);
    if (payload > IPC_FRAME_MAX)
        return -EMSGSIZE;
    uint8_t *buf = malloc(IPC_HEADER_SIZE + payload);
    if (!buf)
        return -ENOMEM;
    int n = ipc_frame_encode_into(env, buf, IPC_HEADER_SIZE + payload);
    *ret_buf = buf;
    *ret_len = (size_t)n;
    return 0;
}

/* ---- decoder ---- */

void ipc_decoder_init(IpcDecoder *d, size_t max_frame) {
    *d = (IpcDecoder){.max_frame = max_frame ? max_frame : IPC_FRAME_MAX};
}

void ipc_decoder_done(IpcDecoder *d) {
    free(d->buf);
    *d = (IpcDecoder){0};
}

int ipc_decoder_feed(IpcDecoder *d, const void *data, size_t n) {
    if (d->error)
        return d->error;
    if (n == 0)
        return 0;
    if (d->len + n > d->cap) {
        /* Never more than one frame's worth beyond what is buffered: bounded by the caller's
         * reads, and frames are popped as soon as they are whole. */
        size_t cap = d->cap ? d->cap : 4096;
        while (cap < d->len + n)
            cap *= 2;
        uint8_t *buf = realloc(d->buf, cap);
        if (!buf)
            return -ENOMEM;
        d->buf = buf;
        d->cap = cap;
    }
    memcpy(d->buf + d->len, data, n);
    d->len += n;
    return 0;
}

size_t ipc_decoder_missing(const IpcDecoder *d) {
    if (d->len < IPC_HEADER_SIZE)
        return IPC_HEADER_SIZE - d->len;
    size_t frame = IPC_HEADER_SIZE + (size_t)get_be32(d->buf);
    return frame > d->len ? frame - d->len : 0;
}

int ipc_frame_decode(const uint8_t *data, size_t n, size_t max_frame, Hype__Envelope **ret_env,
                     size_t *ret_consumed) {
    if (n < IPC_HEADER_SIZE)
        return 0;
    uint32_t payload = get_be32(data);
    if (payload > (max_frame ? max_frame : IPC_FRAME_MAX))
        return -EMSGSIZE; /* known from the header alone, before buffering the payload */
    if (n - IPC_HEADER_SIZE < payload)
        return 0;
    Hype__Envelope *env = hype__envelope__unpack(NULL, payload, data + IPC_HEADER_SIZE);
    if (!env)
        return -EBADMSG;
    *ret_env = env;
    *ret_consumed = IPC_HEADER_SIZE + payload;
    return 1;
}

int ipc_decoder_next(IpcDecoder *d, Hype__Envelope **ret_env) {
    if (d->error)
        return d->error;
    size_t used = 0;
    int r = ipc_frame_decode(d->buf, d->len, d->max_frame, ret_env, &used);
    if (r < 0) {
        d->error = r;
        return r;
    }
    if (r == 1) {
        /* One memmove per frame of what follows it; frames are small and usually alone. */
        memmove(d->buf, d->buf + used, d->len - used);
        d->len -= used;
    }
    return r;
}
