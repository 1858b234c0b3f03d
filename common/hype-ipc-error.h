/* hype-ipc-error: Error.Code (hype-common.proto), the one code of a failed operation inside the
 * daemons and across their links, and the table that turns it into what clients see. */
#pragma once

#include "hype-common.pb-c.h"

/*
 * Inside a daemon, a failed operation carries an Error.Code (HYPE__ERROR__CODE__CODE_UNSPECIFIED,
 * 0, when it succeeded); only the edge a client talks to turns it into a number, with the table
 * below: the HTTP status of a REST reply, the "code" of a WebSocket error frame or Socket.IO ack
 * (the same numbers). Nothing else does: a code is never compared with an HTTP status.
 */

/* The HTTP status (and WebSocket error code) clients see for code: 400, 401, 403, 404, 409, 413,
 * 429, 500, 503 (CODE_TIMEOUT and CODE_UNKNOWN_BODY: 503, the peer cannot serve it now; 0 for
 * CODE_UNSPECIFIED). */
int ipc_error_http_status(Hype__Error__Code code);

/* The code of an HTTP status received from a REST API that was relayed (an ApiCallResult): the
 * inverse of the table, CODE_UNSPECIFIED for 1xx-3xx, else CODE_BAD_REQUEST for another 4xx and
 * CODE_INTERNAL for another status. Only at that boundary. */
Hype__Error__Code ipc_error_from_http_status(int status);

/* The code of a negative errno met inside (0: CODE_UNSPECIFIED): -ENOMEM, -EAGAIN, -ECONNRESET,
 * -ENOTCONN, -ENOBUFS are CODE_UNAVAILABLE (try again), -ETIMEDOUT CODE_TIMEOUT, -EMSGSIZE
 * CODE_TOO_LARGE, -EINVAL CODE_BAD_REQUEST, anything else CODE_INTERNAL. */
Hype__Error__Code ipc_error_from_errno(int error);

/* "CODE_NOT_FOUND", for logs. */
const char *ipc_error_name(Hype__Error__Code code);
