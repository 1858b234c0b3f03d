/* media-stun: STUN messages (RFC 5389) as an ICE-lite agent (RFC 8445) sees them: parsed and
 * checked (FINGERPRINT, MESSAGE-INTEGRITY), and its answers built; pure, no I/O, no allocation. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC_COOKIE 0x2112a442u
#define STUN_TID_LEN 12
#define STUN_INTEGRITY_LEN 20 /* HMAC-SHA1 */
#define STUN_USERNAME_MAX 513 /* RFC 5389 section 15.3: "less than 513 bytes" */
#define STUN_UNKNOWN_MAX 8    /* unknown comprehension-required attributes kept for a 420 */

/* Message types: method | class bits (RFC 5389 section 6). */
enum {
    STUN_BINDING_REQUEST = 0x0001,
    STUN_BINDING_INDICATION = 0x0011,
    STUN_BINDING_SUCCESS = 0x0101,
    STUN_BINDING_ERROR = 0x0111,
};

enum {
    STUN_ATTR_MAPPED_ADDRESS = 0x0001,
    STUN_ATTR_USERNAME = 0x0006,
    STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
    STUN_ATTR_ERROR_CODE = 0x0009,
    STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000a,
    STUN_ATTR_REALM = 0x0014,
    STUN_ATTR_NONCE = 0x0015,
    STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
    STUN_ATTR_PRIORITY = 0x0024,      /* RFC 8445 */
    STUN_ATTR_USE_CANDIDATE = 0x0025, /* RFC 8445 */
    STUN_ATTR_SOFTWARE = 0x8022,
    STUN_ATTR_FINGERPRINT = 0x8028,
    STUN_ATTR_ICE_CONTROLLED = 0x8029,  /* RFC 8445 */
    STUN_ATTR_ICE_CONTROLLING = 0x802a, /* RFC 8445 */
};

typedef struct StunAddr {
    uint8_t family; /* 4 or 6 */
    uint16_t port;
    uint8_t addr[16]; /* 4 bytes used for IPv4 */
} StunAddr;

/* An address from a socket address (AF_INET or AF_INET6): 0 or -EAFNOSUPPORT. */
int stun_addr_from_sockaddr(const struct sockaddr *sa, StunAddr *ret);

/*
 * What the parser found, each attribute's first occurrence. Strings point into the message.
 * Attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored (RFC 5389 section
 * 15.4); MAPPED-ADDRESS, SOFTWARE, REALM, NONCE and comprehension-optional attributes are
 * skipped.
 */
typedef struct StunMessage {
    uint16_t type;
    uint8_t tid[STUN_TID_LEN];
    const char *username; /* NULL when absent; not NUL-terminated */
    uint16_t username_len;
    bool has_priority;
    uint32_t priority;
    bool use_candidate;
    bool ice_controlling;
    bool ice_controlled;
    uint64_t tiebreaker;
    bool has_xor_mapped;
    StunAddr xor_mapped;
    uint16_t error_code;  /* 300-699, 0 when absent */
    size_t integrity_off; /* offset of MESSAGE-INTEGRITY's attribute header; 0: absent */
    bool has_fingerprint; /* present, and checked */
    uint8_t unknown_count;
    uint16_t unknown[STUN_UNKNOWN_MAX]; /* comprehension-required types not understood */
} StunMessage;

/*
 * Parses a STUN message filling the whole datagram. 0 and *ret; -ENOMSG when it is not STUN
 * (the first two bits not zero, no magic cookie: RFC 3489's classic STUN is not spoken);
 * -EINVAL when malformed (under 20 bytes, a length that is not the datagram's or not a multiple
 * of 4, an attribute past the end, a known attribute with a bad length or address family,
 * FINGERPRINT not last, both ICE-CONTROLLING and ICE-CONTROLLED); -EBADMSG when the
 * FINGERPRINT does not match. *ret is not written on failure.
 */
int stun_parse(const uint8_t *buf, size_t len, StunMessage *ret);

/*
 * Checks MESSAGE-INTEGRITY (HMAC-SHA1 over the message up to it, its length field counting up
 * to its end) with this key: for ICE's short-term credentials the password as it is (ICE
 * passwords are ASCII, which SASLprep leaves alone). m comes from stun_parse(buf, len). 0,
 * -ENODATA when the message has none, -EACCES when it does not match.
 */
int stun_check_integrity(const uint8_t *buf, size_t len, const StunMessage *m, const void *key,
                         size_t keylen);

/*
 * The two halves of an ICE USERNAME, "<recipient's ufrag>:<sender's ufrag>" (RFC 8445 section
 * 7.2.2): 0, -ENODATA without USERNAME, -EINVAL without a colon.
 */
int stun_ice_ufrags(const StunMessage *m, const char **ret_local, size_t *ret_local_len,
                    const char **ret_remote, size_t *ret_remote_len);

/*
 * Writing a message into a caller's buffer: attributes in order, padded to 4 bytes with
 * w->pad (0 unless set). An error (no room, a value too long) sticks and makes
 * stun_writer_finish fail; the other calls then do nothing.
 */
typedef struct StunWriter {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int error;
    uint8_t pad;
} StunWriter;

void stun_writer_init(StunWriter *w, uint8_t *buf, size_t cap, uint16_t type,
                      const uint8_t tid[STUN_TID_LEN]);
void stun_put_attr(StunWriter *w, uint16_t type, const void *value, size_t len);
void stun_put_u32(StunWriter *w, uint16_t type, uint32_t value);
void stun_put_u64(StunWriter *w, uint16_t type, uint64_t value);
void stun_put_xor_address(StunWriter *w, uint16_t type, const StunAddr *addr);
/* ERROR-CODE: code 300-699 and a reason phrase. */
void stun_put_error_code(StunWriter *w, uint16_t code, const char *reason);
/* MESSAGE-INTEGRITY over what is written so far. */
void stun_put_integrity(StunWriter *w, const void *key, size_t keylen);
/* FINGERPRINT over what is written so far: the last attribute. */
void stun_put_fingerprint(StunWriter *w);
/* The message's length, or the error that stuck (-ENOBUFS, -EINVAL). */
ssize_t stun_writer_finish(StunWriter *w);

/*
 * A Binding success response to req: XOR-MAPPED-ADDRESS (the address the request came from),
 * MESSAGE-INTEGRITY with key, FINGERPRINT. Its length, or -ENOBUFS.
 */
ssize_t stun_binding_success(uint8_t *buf, size_t cap, const StunMessage *req,
                             const StunAddr *mapped, const void *key, size_t keylen);

/*
 * A Binding error response to req: ERROR-CODE, UNKNOWN-ATTRIBUTES for a 420 (req's unknown
 * attributes), MESSAGE-INTEGRITY when key is not NULL (never for 400 and 401: RFC 5389 section
 * 10.1.2), FINGERPRINT. Its length, or -ENOBUFS / -EINVAL.
 */
ssize_t stun_binding_error(uint8_t *buf, size_t cap, const StunMessage *req, uint16_t code,
                           const void *key, size_t keylen);

/*
 * What an ICE-lite agent (always controlled, RFC 8445 section 6.1.1) answers to a parsed
 * message m of buf from the address "from", whose own credentials are ufrag and pwd: writes the
 * answer at out and returns its length, with *ret_code 0 for a success response (the request
 * is authenticated: the transport may validate the address, and nominate it on USE-CANDIDATE)
 * or the error code sent: 400 (no USERNAME or no MESSAGE-INTEGRITY), 401 (a USERNAME that is not
 * "<ufrag>:..." or a bad MESSAGE-INTEGRITY), 420 (unknown comprehension-required attributes),
 * 487 (ICE-CONTROLLED: the peer must take the controlling role). Returns 0 with *ret_code 0
 * for a Binding indication (a keepalive: nothing to send), -ENOMSG for anything else that is
 * not a Binding request (drop it), -ENOBUFS when out is too small.
 */
ssize_t stun_ice_lite_answer(const uint8_t *buf, size_t len, const StunMessage *m,
                             const char *ufrag, const char *pwd, const StunAddr *from, uint8_t *out,
                             size_t cap, uint16_t *ret_code);
