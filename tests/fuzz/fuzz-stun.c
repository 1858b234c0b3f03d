/* fuzz-stun: a datagram to an ICE-lite agent: parsed, its MESSAGE-INTEGRITY checked, answered
 * (the answer must parse, carry the request's transaction id and verify), and what it says
 * written again with the writer and read back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media-stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ufrag[] = "fz1x", pwd[] = "fuzz-password-of-22chr";

static bool same_addr(const StunAddr *a, const StunAddr *b) {
    return a->family == b->family && a->port == b->port &&
           memcmp(a->addr, b->addr, a->family == 6 ? 16 : 4) == 0;
}

static void answer(const uint8_t *data, size_t size, const StunMessage *m) {
    static const StunAddr from = {.family = 6, .port = 1, .addr = {0x20, 1, [15] = 7}};
    uint8_t out[1024];
    uint16_t code;
    StunMessage a;
    ssize_t n = stun_ice_lite_answer(data, size, m, ufrag, pwd, &from, out, sizeof(out), &code);
    if (n <= 0)
        return;
    if (stun_parse(out, (size_t)n, &a) < 0 || memcmp(a.tid, m->tid, STUN_TID_LEN) != 0 ||
        !a.has_fingerprint)
        abort();
    bool signed_ = code != 400 && code != 401;
    if (signed_ != (stun_check_integrity(out, (size_t)n, &a, pwd, strlen(pwd)) == 0))
        abort();
    if (code == 0 &&
        (a.type != STUN_BINDING_SUCCESS || !a.has_xor_mapped || !same_addr(&a.xor_mapped, &from)))
        abort();
    if (code && (a.type != STUN_BINDING_ERROR || a.error_code != code))
        abort();
}

/* The request's ICE attributes written again, signed: they read back the same. */
static void rewrite(const StunMessage *m) {
    uint8_t out[1024];
    StunWriter w;
    StunMessage b;
    stun_writer_init(&w, out, sizeof(out), m->type, m->tid);
    if (m->username)
        stun_put_attr(&w, STUN_ATTR_USERNAME, m->username, m->username_len);
    if (m->has_priority)
        stun_put_u32(&w, STUN_ATTR_PRIORITY, m->priority);
    if (m->use_candidate)
        stun_put_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    if (m->ice_controlling || m->ice_controlled)
        stun_put_u64(&w, m->ice_controlling ? STUN_ATTR_ICE_CONTROLLING : STUN_ATTR_ICE_CONTROLLED,
                     m->tiebreaker);
    if (m->has_xor_mapped)
        stun_put_xor_address(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &m->xor_mapped);
    stun_put_integrity(&w, pwd, strlen(pwd));
    stun_put_fingerprint(&w);
    ssize_t n = stun_writer_finish(&w);
    if (n < 0 || stun_parse(out, (size_t)n, &b) < 0 ||
        stun_check_integrity(out, (size_t)n, &b, pwd, strlen(pwd)) < 0 ||
        b.type != (m->type & 0x3fff) || b.priority != m->priority ||
        b.tiebreaker != m->tiebreaker || b.use_candidate != m->use_candidate ||
        b.username_len != m->username_len || b.has_xor_mapped != m->has_xor_mapped ||
        (m->has_xor_mapped && !same_addr(&b.xor_mapped, &m->xor_mapped)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    StunMessage m;
    const char *local, *remote;
    size_t local_len, remote_len;
    if (stun_parse(data, size, &m) < 0)
        return 0;
    if (m.username && (const uint8_t *)m.username + m.username_len > data + size)
        abort();
    stun_check_integrity(data, size, &m, pwd, strlen(pwd));
    if (stun_ice_ufrags(&m, &local, &local_len, &remote, &remote_len) == 0 &&
        local_len + 1 + remote_len != m.username_len)
        abort();
    answer(data, size, &m);
    rewrite(&m);
    return 0;
}
