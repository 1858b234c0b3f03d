/* hype-ipc: the IPC frame codec, the same for every link: 4-byte big-endian length + one packed
 * Envelope of the link; bytes in, messages out. */
#pragma once

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "hype-common.pb-c.h"

#define IPC_PROTOCOL_VERSION 2   /* 2: Envelopes split per link, typed requests */
#define IPC_FRAME_MAX (1u << 20) /* payloads over 1 MiB are a protocol error */
#define IPC_HEADER_SIZE 4

/* The body cases every link's Envelope shares (hype-common.proto): protobuf-c numbers a oneof's
 * cases by their field numbers. */
#define IPC_BODY_HELLO 10
#define IPC_BODY_ERROR 11

/*
 * A link: the Envelope its frames carry and where that Envelope's shared head is. Each link has
 * one, defined once in common/ with IPC_LINK_DEFINE and used by both of its ends
 * (hype-ipc-api-signal.h: signal.sock; hype-ipc-signal-media.h: media.sock). The head is id = 1,
 * reply_to = 2 and, in the oneof body, hello = 10 and error = 11; IPC_LINK_DEFINE checks it at
 * compile time, so the codec and the peer (hype-ipc-peer.h) handle every link the same way.
 */
typedef struct IpcLinkPair {
    uint32_t request, result; /* body cases */
} IpcLinkPair;

typedef struct IpcLink {
    const char *name; /* "api-signal", for logs */
    const ProtobufCMessageDescriptor *envelope;
    size_t id_offset, reply_to_offset, body_case_offset, hello_offset, error_offset;
    /* Each request body and the body that answers it; a body not listed is no request. */
    const IpcLinkPair *pairs;
    size_t n_pairs;
} IpcLink;

#define IPC_LINK_CHECK_(Type, member, type)                                                        \
    _Static_assert(__builtin_types_compatible_p(__typeof__(((Type *)0)->member), type),            \
                   #Type "." #member " is the shared head's " #type)

/* The IpcLink of Envelope type Type (descriptor desc) whose oneof body's cases are prefix_HELLO
 * and prefix_ERROR; pairs is a static array of IpcLinkPair. */
#define IPC_LINK_DEFINE(var, name_, Type, desc, prefix, pairs_)                                    \
    IPC_LINK_CHECK_(Type, id, uint64_t);                                                           \
    IPC_LINK_CHECK_(Type, reply_to, uint64_t);                                                     \
    IPC_LINK_CHECK_(Type, hello, Hype__Hello *);                                                   \
    IPC_LINK_CHECK_(Type, error, Hype__Error *);                                                   \
    _Static_assert(prefix##_HELLO == IPC_BODY_HELLO && prefix##_ERROR == IPC_BODY_ERROR,           \
                   #Type " has hello = 10 and error = 11");                                        \
    const IpcLink var = {                                                                          \
        .name = name_,                                                                             \
        .envelope = &desc,                                                                         \
        .id_offset = offsetof(Type, id),                                                           \
        .reply_to_offset = offsetof(Type, reply_to),                                               \
        .body_case_offset = offsetof(Type, body_case),                                             \
        .hello_offset = offsetof(Type, hello),                                                     \
        .error_offset = offsetof(Type, error),                                                     \
        .pairs = pairs_,                                                                           \
        .n_pairs = sizeof(pairs_) / sizeof(pairs_[0]),                                             \
    }

/* The shared head of env, an Envelope of link (read and written through the link's offsets). */
uint64_t ipc_envelope_id(const IpcLink *link, const ProtobufCMessage *env);
uint64_t ipc_envelope_reply_to(const IpcLink *link, const ProtobufCMessage *env);
uint32_t ipc_envelope_body(const IpcLink *link, const ProtobufCMessage *env); /* the case */
/* The Hello or Error env carries, or NULL when its body is another. */
const Hype__Hello *ipc_envelope_hello(const IpcLink *link, const ProtobufCMessage *env);
const Hype__Error *ipc_envelope_error(const IpcLink *link, const ProtobufCMessage *env);
void ipc_envelope_set_ids(const IpcLink *link, ProtobufCMessage *env, uint64_t id,
                          uint64_t reply_to);
/* Makes mem (link->envelope->sizeof_message bytes, suitably aligned) an Envelope of link whose
 * body is hello or error (borrowed), ids 0: the frames the peer builds itself. */
ProtobufCMessage *ipc_envelope_init_hello(const IpcLink *link, void *mem, Hype__Hello *hello);
ProtobufCMessage *ipc_envelope_init_error(const IpcLink *link, void *mem, Hype__Error *error);
/* The body that answers request body case request, 0 when request is no request. */
uint32_t ipc_link_result_of(const IpcLink *link, uint32_t request);

/*
 * Encodes env (any link's Envelope) into a new malloc'ed buffer holding one whole frame (header +
 * payload). -EMSGSIZE when the packed envelope exceeds IPC_FRAME_MAX.
 */
int ipc_frame_encode(const ProtobufCMessage *env, uint8_t **ret_buf, size_t *ret_len);

/* Packed size of env plus the header, for callers that encode into their own buffer. */
size_t ipc_frame_size(const ProtobufCMessage *env);
/* Encodes into buf (at least ipc_frame_size(env) bytes); returns bytes written or -EMSGSIZE. */
int ipc_frame_encode_into(const ProtobufCMessage *env, uint8_t *buf, size_t size);

/* Frees a decoded envelope (NULL-safe). */
void ipc_envelope_free(ProtobufCMessage *env);

/*
 * Incremental decoder of one link's frames: feed it bytes as they arrive, in pieces of any size
 * (one byte at a time works), then pop whole envelopes. Knows no event loop.
 */
typedef struct IpcDecoder {
    const IpcLink *link;
    uint8_t *buf;
    size_t len, cap;
    size_t max_frame;
    int error; /* sticky: once a protocol error is seen, every call returns it */
} IpcDecoder;

void ipc_decoder_init(IpcDecoder *d, const IpcLink *link, size_t max_frame /* 0 = IPC_FRAME_MAX */);
void ipc_decoder_done(IpcDecoder *d);
/* Copies n bytes in. -ENOMEM only. */
int ipc_decoder_feed(IpcDecoder *d, const void *data, size_t n);
/*
 * Returns 1 and a new envelope of the link (free with ipc_envelope_free) when a whole frame is
 * buffered, 0 when more bytes are needed, -EMSGSIZE when the announced length exceeds max_frame
 * (detected as soon as the 4 header bytes are in), -EBADMSG when the payload does not unpack as
 * the link's Envelope. Errors are sticky.
 */
int ipc_decoder_next(IpcDecoder *d, ProtobufCMessage **ret_env);
/*
 * Bytes still missing from the frame being buffered: the rest of the header, then the rest of the
 * payload; 0 once a whole frame is buffered. A caller that feeds no more than this keeps at most
 * one frame here (hype-ipc-peer decodes whole frames straight from what it reads).
 */
size_t ipc_decoder_missing(const IpcDecoder *d);

/* Convenience for a whole-buffer decode (the fuzz target uses it): 1/0/-errno as above,
 * *ret_consumed bytes eaten. */
int ipc_frame_decode(const IpcLink *link, const uint8_t *data, size_t n, size_t max_frame,
                     ProtobufCMessage **ret_env, size_t *ret_consumed);
