/* media-stun: STUN messages (RFC 5389) as an ICE-lite agent (RFC 8445) sees them: parsed and
 * checked (FINGERPRINT, MESSAGE-INTEGRITY), and its answers built. */
#include "media-stun.h"

#include <errno.h>
#include <netinet/in.h>
#include <nettle/hmac.h>
#include <string.h>

#include "hype-endian.h"
#include "hype-macro.h"

#define ATTR_HEADER_LEN 4
#define FINGERPRINT_XOR 0x5354554eu
#define REASON_MAX 763 /* RFC 5389 section 15.6 */

/* CRC-32 (ISO-HDLC, as zlib's), four bits at a time: a 16-entry table is enough for the few
 * hundred bytes of a STUN message. */
static uint32_t crc32(const uint8_t *p, size_t n) {
    static const uint32_t table[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        c = (c >> 4) ^ table[c & 15];
        c = (c >> 4) ^ table[c & 15];
    }
    return ~c;
}

/* HMAC-SHA1 of the message's first n bytes with its length field replaced by msg_len: nettle's
 * context lives on the stack, so nothing is allocated or copied. */
static void integrity_hmac(const uint8_t *buf, size_t n, uint16_t msg_len, const void *key,
                           size_t keylen, uint8_t out[STUN_INTEGRITY_LEN]) {
    struct hmac_sha1_ctx ctx;
    uint8_t len_field[2];
    be16_put(len_field, msg_len);
    hmac_sha1_set_key(&ctx, keylen, key);
    hmac_sha1_update(&ctx, 2, buf);
    hmac_sha1_update(&ctx, 2, len_field);
    hmac_sha1_update(&ctx, n - 4, buf + 4);
    hmac_sha1_digest(&ctx, STUN_INTEGRITY_LEN, out);
    explicit_zero(&ctx, sizeof(ctx));
}

int stun_addr_from_sockaddr(const struct sockaddr *sa, StunAddr *ret) {
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        *ret = (StunAddr){.family = 4, .port = ntohs(s->sin_port)};
        memcpy(ret->addr, &s->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family != AF_INET6)
        return -EAFNOSUPPORT;
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
    const uint8_t *a = s->sin6_addr.s6_addr;
    bool mapped = memcmp(a, v4mapped, sizeof(v4mapped)) == 0; /* a dual-stack socket's IPv4 */
    *ret = (StunAddr){.family = mapped ? 4 : 6, .port = ntohs(s->sin6_port)};
    memcpy(ret->addr, mapped ? a + 12 : a, mapped ? 4 : 16);
    return 0;
}

/* XOR-MAPPED-ADDRESS's value (RFC 5389 section 15.2): the port is xored with the cookie's top
 * half, the address with the cookie and, for IPv6, the transaction id. */
static void xor_address(const uint8_t *tid, const uint8_t *in, uint8_t *out, size_t n) {
    uint8_t mask[16];
    be32_put(mask, STUN_MAGIC_COOKIE);
    memcpy(mask + 4, tid, STUN_TID_LEN);
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] ^ mask[i];
}

static int read_xor_address(const uint8_t *v, size_t len, const uint8_t *tid, StunAddr *ret) {
    size_t n = len == 8 && v[1] == 1 ? 4 : len == 20 && v[1] == 2 ? 16 : 0;
    if (n == 0)
        return -EINVAL;
    *ret =
        (StunAddr){.family = n == 4 ? 4 : 6, .port = be16_get(v + 2) ^ (STUN_MAGIC_COOKIE >> 16)};
    xor_address(tid, v + 4, ret->addr, n);
    return 0;
}

static int read_error_code(const uint8_t *v, size_t len, uint16_t *ret) {
    if (len < 4 || (v[2] & 7) < 3 || (v[2] & 7) > 6 || v[3] > 99)
        return -EINVAL;
    *ret = (uint16_t)((v[2] & 7) * 100 + v[3]);
    return 0;
}

static int read_ice_role(const uint8_t *v, size_t len, bool controlling, StunMessage *m) {
    if (len != 8 || (controlling ? m->ice_controlled : m->ice_controlling))
        return -EINVAL;
    if (!m->ice_controlling && !m->ice_controlled)
        m->tiebreaker = be64_get(v);
    *(controlling ? &m->ice_controlling : &m->ice_controlled) = true;
    return 0;
}

static void note_unknown(uint16_t type, StunMessage *m) {
    /* Comprehension-optional ones (0x8000-0xFFFF) may be ignored; these we skip knowingly. */
    if (type >= 0x8000 || type == STUN_ATTR_MAPPED_ADDRESS || type == STUN_ATTR_REALM ||
        type == STUN_ATTR_NONCE || type == STUN_ATTR_UNKNOWN_ATTRIBUTES)
        return;
    if (m->unknown_count < STUN_UNKNOWN_MAX)
        m->unknown[m->unknown_count++] = type;
}

/* One attribute before MESSAGE-INTEGRITY (value v of len bytes at offset off). */
static int read_attr(const uint8_t *buf, size_t off, uint16_t type, const uint8_t *v, size_t len,
                     StunMessage *m) {
    switch (type) {
    case STUN_ATTR_USERNAME:
        if (len >= STUN_USERNAME_MAX)
            return -EINVAL;
        if (!m->username) {
            m->username = (const char *)v;
            m->username_len = (uint16_t)len;
        }
        return 0;
    case STUN_ATTR_MESSAGE_INTEGRITY:
        if (len != STUN_INTEGRITY_LEN)
            return -EINVAL;
        m->integrity_off = off;
        return 0;
    case STUN_ATTR_PRIORITY:
        if (len != 4)
            return -EINVAL;
        if (!m->has_priority)
            m->priority = be32_get(v);
        m->has_priority = true;
        return 0;
    case STUN_ATTR_USE_CANDIDATE: m->use_candidate = true; return len == 0 ? 0 : -EINVAL;
    case STUN_ATTR_ICE_CONTROLLING:
    case STUN_ATTR_ICE_CONTROLLED:
        return read_ice_role(v, len, type == STUN_ATTR_ICE_CONTROLLING, m);
    case STUN_ATTR_XOR_MAPPED_ADDRESS:
        if (m->has_xor_mapped)
            return 0;
        m->has_xor_mapped = true;
        return read_xor_address(v, len, m->tid, &m->xor_mapped);
    case STUN_ATTR_ERROR_CODE: return m->error_code ? 0 : read_error_code(v, len, &m->error_code);
    default: note_unknown(type, m); return 0;
    }
}

/* FINGERPRINT at off, of alen bytes, in a message of len: the last attribute, and the CRC of
 * everything before it (RFC 5389 section 15.5). */
static int check_fingerprint(const uint8_t *buf, size_t off, size_t alen, size_t len) {
    if (alen != 4 || off + ATTR_HEADER_LEN + 4 != len)
        return -EINVAL;
    uint32_t want = crc32(buf, off) ^ FINGERPRINT_XOR;
    return be32_get(buf + off + ATTR_HEADER_LEN) == want ? 0 : -EBADMSG;
}

static int check_header(const uint8_t *buf, size_t len) {
    if (len > 0 && (buf[0] & 0xc0))
        return -ENOMSG;
    if (len < STUN_HEADER_LEN)
        return -EINVAL;
    if (be32_get(buf + 4) != STUN_MAGIC_COOKIE)
        return -ENOMSG;
    size_t mlen = be16_get(buf + 2);
    return mlen % 4 || mlen != len - STUN_HEADER_LEN ? -EINVAL : 0;
}

int stun_parse(const uint8_t *buf, size_t len, StunMessage *ret) {
    int r = check_header(buf, len);
    if (r < 0)
        return r;
    StunMessage m = {.type = be16_get(buf)};
    memcpy(m.tid, buf + 8, STUN_TID_LEN);
    for (size_t off = STUN_HEADER_LEN; off < len;) {
        if (len - off < ATTR_HEADER_LEN)
            return -EINVAL;
        uint16_t type = be16_get(buf + off), alen = be16_get(buf + off + 2);
        size_t padded = ((size_t)alen + 3) & ~(size_t)3;
        if (padded > len - off - ATTR_HEADER_LEN)
            return -EINVAL;
        if (type == STUN_ATTR_FINGERPRINT) {
            r = check_fingerprint(buf, off, alen, len);
            m.has_fingerprint = true;
        } else if (!m.integrity_off)
            r = read_attr(buf, off, type, buf + off + ATTR_HEADER_LEN, alen, &m);
        if (r < 0)
            return r;
        off += ATTR_HEADER_LEN + padded;
    }
    *ret = m;
    return 0;
}

int stun_check_integrity(const uint8_t *buf, size_t len, const StunMessage *m, const void *key,
                         size_t keylen) {
    size_t off = m->integrity_off;
    if (!off)
        return -ENODATA;
    if (off < STUN_HEADER_LEN || off + ATTR_HEADER_LEN + STUN_INTEGRITY_LEN > len)
        return -EINVAL;
    uint8_t mac[STUN_INTEGRITY_LEN], diff = 0;
    uint16_t covered = (uint16_t)(off + ATTR_HEADER_LEN + STUN_INTEGRITY_LEN - STUN_HEADER_LEN);
    integrity_hmac(buf, off, covered, key, keylen, mac);
    for (size_t i = 0; i < STUN_INTEGRITY_LEN; i++) /* in constant time */
        diff |= mac[i] ^ buf[off + ATTR_HEADER_LEN + i];
    return diff ? -EACCES : 0;
}

int stun_ice_ufrags(const StunMessage *m, const char **ret_local, size_t *ret_local_len,
                    const char **ret_remote, size_t *ret_remote_len) {
    if (!m->username)
        return -ENODATA;
    const char *colon = memchr(m->username, ':', m->username_len);
    if (!colon)
        return -EINVAL;
    *ret_local = m->username;
    *ret_local_len = (size_t)(colon - m->username);
    *ret_remote = colon + 1;
    *ret_remote_len = m->username_len - *ret_local_len - 1;
    return 0;
}

void stun_writer_init(StunWriter *w, uint8_t *buf, size_t cap, uint16_t type,
                      const uint8_t tid[STUN_TID_LEN]) {
    *w = (StunWriter){.buf = buf, .cap = cap};
    if (cap < STUN_HEADER_LEN) {
        w->error = -ENOBUFS;
        return;
    }
    be16_put(buf, type & 0x3fff);
    be16_put(buf + 2, 0);
    be32_put(buf + 4, STUN_MAGIC_COOKIE);
    memcpy(buf + 8, tid, STUN_TID_LEN);
    w->len = STUN_HEADER_LEN;
}

/* Room for an attribute of n value bytes, or the error sticks. */
static bool reserve(StunWriter *w, size_t n) {
    if (w->error)
        return false;
    if (n > 0xffff)
        w->error = -EINVAL;
    else if (ATTR_HEADER_LEN + ((n + 3) & ~(size_t)3) > w->cap - w->len)
        w->error = -ENOBUFS;
    return !w->error;
}

/* The header's length field, for the message as if it ended "extra" bytes further. */
static void set_length(StunWriter *w, size_t extra) {
    be16_put(w->buf + 2, (uint16_t)(w->len + extra - STUN_HEADER_LEN));
}

void stun_put_attr(StunWriter *w, uint16_t type, const void *value, size_t len) {
    if (!reserve(w, len))
        return;
    uint8_t *p = w->buf + w->len;
    size_t padded = (len + 3) & ~(size_t)3;
    be16_put(p, type);
    be16_put(p + 2, (uint16_t)len);
    if (len)
        memcpy(p + ATTR_HEADER_LEN, value, len);
    memset(p + ATTR_HEADER_LEN + len, w->pad, padded - len);
    w->len += ATTR_HEADER_LEN + padded;
    set_length(w, 0);
}

void stun_put_u32(StunWriter *w, uint16_t type, uint32_t value) {
    uint8_t v[4];
    be32_put(v, value);
    stun_put_attr(w, type, v, sizeof(v));
}

void stun_put_u64(StunWriter *w, uint16_t type, uint64_t value) {
    uint8_t v[8];
    be64_put(v, value);
    stun_put_attr(w, type, v, sizeof(v));
}

void stun_put_xor_address(StunWriter *w, uint16_t type, const StunAddr *addr) {
    if (w->error)
        return; /* the header, whose transaction id the address is xored with, may be missing */
    uint8_t v[20] = {0, addr->family == 6 ? 2 : 1};
    size_t n = addr->family == 6 ? 16 : 4;
    be16_put(v + 2, addr->port ^ (STUN_MAGIC_COOKIE >> 16));
    xor_address(w->buf + 8, addr->addr, v + 4, n);
    stun_put_attr(w, type, v, 4 + n);
}

void stun_put_error_code(StunWriter *w, uint16_t code, const char *reason) {
    uint8_t v[4 + REASON_MAX] = {0, 0, (uint8_t)(code / 100), (uint8_t)(code % 100)};
    size_t n = strlen(reason);
    if (code < 300 || code > 699 || n > REASON_MAX) {
        if (!w->error)
            w->error = -EINVAL;
        return;
    }
    memcpy(v + 4, reason, n);
    stun_put_attr(w, STUN_ATTR_ERROR_CODE, v, 4 + n);
}

void stun_put_integrity(StunWriter *w, const void *key, size_t keylen) {
    uint8_t mac[STUN_INTEGRITY_LEN];
    if (!reserve(w, STUN_INTEGRITY_LEN))
        return;
    set_length(w, ATTR_HEADER_LEN + STUN_INTEGRITY_LEN);
    integrity_hmac(w->buf, w->len, be16_get(w->buf + 2), key, keylen, mac);
    stun_put_attr(w, STUN_ATTR_MESSAGE_INTEGRITY, mac, sizeof(mac));
}

void stun_put_fingerprint(StunWriter *w) {
    if (!reserve(w, 4))
        return;
    set_length(w, ATTR_HEADER_LEN + 4);
    stun_put_u32(w, STUN_ATTR_FINGERPRINT, crc32(w->buf, w->len) ^ FINGERPRINT_XOR);
}

ssize_t stun_writer_finish(StunWriter *w) {
    return w->error ? w->error : (ssize_t)w->len;
}

ssize_t stun_binding_success(uint8_t *buf, size_t cap, const StunMessage *req,
                             const StunAddr *mapped, const void *key, size_t keylen) {
    StunWriter w;
    stun_writer_init(&w, buf, cap, STUN_BINDING_SUCCESS, req->tid);
    stun_put_xor_address(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, mapped);
    stun_put_integrity(&w, key, keylen);
    stun_put_fingerprint(&w);
    return stun_writer_finish(&w);
}

static const char *reason_phrase(uint16_t code) {
    switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 420: return "Unknown Attribute";
    case 487: return "Role Conflict";
    case 500: return "Server Error";
    default: return "Error";
    }
}

ssize_t stun_binding_error(uint8_t *buf, size_t cap, const StunMessage *req, uint16_t code,
                           const void *key, size_t keylen) {
    StunWriter w;
    stun_writer_init(&w, buf, cap, STUN_BINDING_ERROR, req->tid);
    stun_put_error_code(&w, code, reason_phrase(code));
    if (code == 420) {
        uint8_t types[2 * STUN_UNKNOWN_MAX];
        for (unsigned i = 0; i < req->unknown_count; i++)
            be16_put(types + 2 * i, req->unknown[i]);
        stun_put_attr(&w, STUN_ATTR_UNKNOWN_ATTRIBUTES, types, 2 * (size_t)req->unknown_count);
    }
    if (key && code != 400 && code != 401)
        stun_put_integrity(&w, key, keylen);
    stun_put_fingerprint(&w);
    return stun_writer_finish(&w);
}

/* RFC 5389 section 10.1.2 with ICE's short-term credentials: 0, 400 or 401. */
static uint16_t authenticate(const uint8_t *buf, size_t len, const StunMessage *m,
                             const char *ufrag, const char *pwd) {
    const char *local, *remote;
    size_t local_len, remote_len;
    if (!m->username || !m->integrity_off)
        return 400;
    if (stun_ice_ufrags(m, &local, &local_len, &remote, &remote_len) < 0 ||
        local_len != strlen(ufrag) || memcmp(local, ufrag, local_len) != 0)
        return 401;
    return stun_check_integrity(buf, len, m, pwd, strlen(pwd)) < 0 ? 401 : 0;
}

ssize_t stun_ice_lite_answer(const uint8_t *buf, size_t len, const StunMessage *m,
                             const char *ufrag, const char *pwd, const StunAddr *from, uint8_t *out,
                             size_t cap, uint16_t *ret_code) {
    if (m->type == STUN_BINDING_INDICATION) {
        *ret_code = 0;
        return 0;
    }
    if (m->type != STUN_BINDING_REQUEST)
        return -ENOMSG;
    uint16_t code = authenticate(buf, len, m, ufrag, pwd);
    if (!code && m->unknown_count)
        code = 420;
    else if (!code && m->ice_controlled)
        code = 487;
    ssize_t n = code ? stun_binding_error(out, cap, m, code, pwd, strlen(pwd))
                     : stun_binding_success(out, cap, m, from, pwd, strlen(pwd));
    if (n >= 0)
        *ret_code = code;
    return n;
}
