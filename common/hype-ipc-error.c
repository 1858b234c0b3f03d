/* hype-ipc-error: Error.Code (hype-common.proto), the one code of a failed operation inside the
 * daemons and across their links, and the table that turns it into what clients see. */
#include "hype-ipc-error.h"

#include <errno.h>

#include "hype-macro.h"

#define CODE(x) HYPE__ERROR__CODE__CODE_##x

/* The edge's table. A status appears once, so that a relayed status comes back unchanged. */
static const struct {
    Hype__Error__Code code;
    int status;
} table[] = {
    {CODE(BAD_REQUEST), 400}, {CODE(UNAUTHENTICATED), 401}, {CODE(FORBIDDEN), 403},
    {CODE(NOT_FOUND), 404},   {CODE(CONFLICT), 409},        {CODE(TOO_LARGE), 413},
    {CODE(TOO_MANY), 429},    {CODE(INTERNAL), 500},        {CODE(UNAVAILABLE), 503},
};

int ipc_error_http_status(Hype__Error__Code code) {
    if (code == CODE(UNSPECIFIED))
        return 0;
    for (size_t i = 0; i < ELEMENTSOF(table); i++)
        if (table[i].code == code)
            return table[i].status;
    /* CODE_TIMEOUT, CODE_UNKNOWN_BODY (a peer of another version), and codes of a newer peer:
     * whoever answers cannot serve it now. */
    return 503;
}

Hype__Error__Code ipc_error_from_http_status(int status) {
    if (status < 400)
        return CODE(UNSPECIFIED);
    for (size_t i = 0; i < ELEMENTSOF(table); i++)
        if (table[i].status == status)
            return table[i].code;
    return status < 500 ? CODE(BAD_REQUEST) : CODE(INTERNAL);
}

Hype__Error__Code ipc_error_from_errno(int error) {
    switch (error) {
    case 0: return CODE(UNSPECIFIED);
    case -ENOMEM:
    case -EAGAIN:
    case -ECONNRESET:
    case -ENOTCONN:
    case -ENOBUFS: return CODE(UNAVAILABLE);
    case -ETIMEDOUT: return CODE(TIMEOUT);
    case -EMSGSIZE: return CODE(TOO_LARGE);
    case -EINVAL: return CODE(BAD_REQUEST);
    default: return CODE(INTERNAL);
    }
}

const char *ipc_error_name(Hype__Error__Code code) {
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value(&hype__error__code__descriptor, (int)code);
    return v ? v->name : "CODE_?";
}
