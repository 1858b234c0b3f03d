/* signal-sio-packet: Socket.IO v5 packets (inside Engine.IO messages); pure, no I/O. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum SioType {
    SIO_CONNECT = 0,
    SIO_DISCONNECT = 1,
    SIO_EVENT = 2,
    SIO_ACK = 3,
    SIO_CONNECT_ERROR = 4,
    SIO_BINARY_EVENT = 5,
    SIO_BINARY_ACK = 6,
} SioType;

#define SIO_NSP_MAX 128
#define SIO_ATTACHMENTS_MAX 16
#define SIO_JSON_DEPTH 32

typedef struct SioPacket {
    SioType type;
    unsigned attachments;  /* binary frames that follow a BINARY_EVENT/ACK */
    char nsp[SIO_NSP_MAX]; /* "/" when absent */
    bool has_ack;
    uint64_t ack_id;
    json_object *payload; /* owned; NULL when absent */
} SioPacket;

/*
 * Parses "<type>[<n>-][<nsp>,][<ack id>][JSON]" as a client sends it. -EBADMSG for anything a
 * server must refuse: an unknown type (CONNECT_ERROR included), a CONNECT payload that is not an
 * object, an EVENT payload that is not a non-empty array starting with a string, an ACK without
 * an id or whose payload is not an array, a bad attachment count, trailing garbage.
 */
int sio_parse(const char *text, size_t len, SioPacket *ret);
void sio_packet_done(SioPacket *p);

/* "<type>[<n>-][<nsp>,][<ack id>]<json>" (nsp "/" is omitted); malloc'ed, NULL on ENOMEM.
 * ack_id < 0: none. json may be NULL. */
char *sio_encode(SioType type, unsigned attachments, const char *nsp, int64_t ack_id,
                 const char *json);
