/* signal-sio-packet: Socket.IO v5 packets (inside Engine.IO messages); pure, no I/O. */
#include "signal-sio-packet.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-json.h"

#define ACK_ID_DIGITS_MAX 15 /* stays exact in a JavaScript number */

static bool payload_valid(const SioPacket *p) {
    json_object *j = p->payload;
    switch (p->type) {
    case SIO_CONNECT: return !j || json_object_is_type(j, json_type_object);
    case SIO_DISCONNECT: return !j;
    case SIO_EVENT:
    case SIO_BINARY_EVENT:
        return j && json_object_is_type(j, json_type_array) && json_object_array_length(j) > 0 &&
               json_object_is_type(json_object_array_get_idx(j, 0), json_type_string);
    case SIO_ACK:
    case SIO_BINARY_ACK: return p->has_ack && j && json_object_is_type(j, json_type_array);
    default: return false;
    }
}

int sio_parse(const char *text, size_t len, SioPacket *ret) {
    SioPacket p = {.nsp = "/"};
    size_t i = 0;
    if (len == 0 || text[0] < '0' || text[0] > '6' || text[0] == '0' + SIO_CONNECT_ERROR)
        return -EBADMSG;
    p.type = (SioType)(text[i++] - '0');
    if (p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) {
        size_t start = i;
        while (i < len && text[i] >= '0' && text[i] <= '9' && i - start < 3)
            p.attachments = p.attachments * 10 + (unsigned)(text[i++] - '0');
        if (i == start || i >= len || text[i] != '-' || p.attachments == 0 ||
            p.attachments > SIO_ATTACHMENTS_MAX)
            return -EBADMSG;
        i++;
    }
    if (i < len && text[i] == '/') {
        size_t start = i;
        while (i < len && text[i] != ',')
            i++;
        size_t n = i - start;
        if (n >= SIO_NSP_MAX)
            return -EBADMSG;
        memcpy(p.nsp, text + start, n);
        p.nsp[n] = '\0';
        if (i < len)
            i++; /* the comma */
    }
    size_t digits = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9') {
        if (++digits > ACK_ID_DIGITS_MAX)
            return -EBADMSG;
        p.ack_id = p.ack_id * 10 + (uint64_t)(text[i++] - '0');
        p.has_ack = true;
    }
    if (i < len && json_parse_strict(text + i, len - i, SIO_JSON_DEPTH, &p.payload, NULL) < 0)
        return -EBADMSG;
    if (!payload_valid(&p)) {
        sio_packet_done(&p);
        return -EBADMSG;
    }
    *ret = p;
    return 0;
}

void sio_packet_done(SioPacket *p) {
    json_object_put(p->payload);
    p->payload = NULL;
}

char *sio_encode(SioType type, unsigned attachments, const char *nsp, int64_t ack_id,
                 const char *json) {
    char head[32] = "", ack[24] = "";
    if (attachments)
        snprintf(head, sizeof(head), "%u-", attachments);
    if (ack_id >= 0)
        snprintf(ack, sizeof(ack), "%" PRId64, ack_id);
    bool named = nsp && strcmp(nsp, "/") != 0;
    char *out = NULL;
    if (asprintf(&out, "%d%s%s%s%s%s", (int)type, head, named ? nsp : "", named ? "," : "", ack,
                 json ? json : "") < 0)
        return NULL;
    return out;
}
