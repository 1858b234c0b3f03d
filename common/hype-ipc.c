/* hype-ipc: the IPC frame codec, the same for every link: 4-byte big-endian length + one packed
 * Envelope of the link; bytes in, messages out. */
#include "hype-ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hype-endian.h"

/* ---- the shared head ---- */

#define AT(env, offset, type) (*(type *)((char *)(env) + (offset)))

uint64_t ipc_envelope_id(const IpcLink *link, const ProtobufCMessage *env) {
    return AT(env, link->id_offset, const uint64_t);
}

uint64_t ipc_envelope_reply_to(const IpcLink *link, const ProtobufCMessage *env) {
    return AT(env, link->reply_to_offset, const uint64_t);
}

/* protobuf-c stores a oneof's case as an enum, which has the size of an int. */
uint32_t ipc_envelope_body(const IpcLink *link, const ProtobufCMessage *env) {
    return (uint32_t)AT(env, link->body_case_offset, const int);
}

const Hype__Hello *ipc_envelope_hello(const IpcLink *link, const ProtobufCMessage *env) {
    return ipc_envelope_body(link, env) == IPC_BODY_HELLO
               ? AT(env, link->hello_offset, Hype__Hello *const)
               : NULL;
}

const Hype__Error *ipc_envelope_error(const IpcLink *link, const ProtobufCMessage *env) {
    return ipc_envelope_body(link, env) == IPC_BODY_ERROR
               ? AT(env, link->error_offset, Hype__Error *const)
               : NULL;
}

void ipc_envelope_set_ids(const IpcLink *link, ProtobufCMessage *env, uint64_t id,
                          uint64_t reply_to) {
    AT(env, link->id_offset, uint64_t) = id;
    AT(env, link->reply_to_offset, uint64_t) = reply_to;
}

static ProtobufCMessage *init_shared(const IpcLink *link, void *mem, int body, size_t offset,
                                     void *msg) {
    protobuf_c_message_init(link->envelope, mem);
    AT(mem, link->body_case_offset, int) = body;
    AT(mem, offset, void *) = msg;
    return mem;
}

ProtobufCMessage *ipc_envelope_init_hello(const IpcLink *link, void *mem, Hype__Hello *hello) {
    return init_shared(link, mem, IPC_BODY_HELLO, link->hello_offset, hello);
}

ProtobufCMessage *ipc_envelope_init_error(const IpcLink *link, void *mem, Hype__Error *error) {
    return init_shared(link, mem, IPC_BODY_ERROR, link->error_offset, error);
}

uint32_t ipc_link_result_of(const IpcLink *link, uint32_t request) {
    for (size_t i = 0; i < link->n_pairs; i++)
        if (link->pairs[i].request == request)
            return link->pairs[i].result;
    return 0;
}

/* ---- encoding ---- */

size_t ipc_frame_size(const ProtobufCMessage *env) {
    return IPC_HEADER_SIZE + protobuf_c_message_get_packed_size(env);
}

int ipc_frame_encode_into(const ProtobufCMessage *env, uint8_t *buf, size_t size) {
    size_t payload = protobuf_c_message_get_packed_size(env);
    if (payload > IPC_FRAME_MAX)
        return -EMSGSIZE;
    if (size < IPC_HEADER_SIZE + payload)
        return -ENOBUFS;
    be32_put(buf, (uint32_t)payload);
    protobuf_c_message_pack(env, buf + IPC_HEADER_SIZE);
    return (int)(IPC_HEADER_SIZE + payload);
}

int ipc_frame_encode(const ProtobufCMessage *env, uint8_t **ret_buf, size_t *ret_len) {
    size_t payload = protobuf_c_message_get_packed_size(env);
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

void ipc_envelope_free(ProtobufCMessage *env) {
    if (env)
        protobuf_c_message_free_unpacked(env, NULL);
}

/* ---- decoder ---- */

void ipc_decoder_init(IpcDecoder *d, const IpcLink *link, size_t max_frame) {
    *d = (IpcDecoder){.link = link, .max_frame = max_frame ? max_frame : IPC_FRAME_MAX};
}

void ipc_decoder_done(IpcDecoder *d) {
    free(d->buf);
    *d = (IpcDecoder){.link = d->link, .max_frame = d->max_frame};
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
    size_t frame = IPC_HEADER_SIZE + (size_t)be32_get(d->buf);
    return frame > d->len ? frame - d->len : 0;
}

int ipc_frame_decode(const IpcLink *link, const uint8_t *data, size_t n, size_t max_frame,
                     ProtobufCMessage **ret_env, size_t *ret_consumed) {
    if (n < IPC_HEADER_SIZE)
        return 0;
    uint32_t payload = be32_get(data);
    if (payload > (max_frame ? max_frame : IPC_FRAME_MAX))
        return -EMSGSIZE; /* known from the header alone, before buffering the payload */
    if (n - IPC_HEADER_SIZE < payload)
        return 0;
    ProtobufCMessage *env =
        protobuf_c_message_unpack(link->envelope, NULL, payload, data + IPC_HEADER_SIZE);
    if (!env)
        return -EBADMSG;
    *ret_env = env;
    *ret_consumed = IPC_HEADER_SIZE + payload;
    return 1;
}

int ipc_decoder_next(IpcDecoder *d, ProtobufCMessage **ret_env) {
    if (d->error)
        return d->error;
    size_t used = 0;
    int r = ipc_frame_decode(d->link, d->buf, d->len, d->max_frame, ret_env, &used);
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
