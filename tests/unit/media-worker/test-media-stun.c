/* Unit tests for media-worker/media-stun: RFC 5769's test vectors (checked, and rebuilt byte for
 * byte), real Binding requests and responses of two aiortc peers, what the ICE-lite agent
 * answers, every prefix and every error path. */
#include <arpa/inet.h>
#include <nettle/md5.h>
#include <sys/un.h>

#include "hype-endian.h"
#include "media-fixtures.h"
#include "media-stun.h"
#include "test.h"

/* RFC 5769 section 2, verbatim (the 0x20 bytes are the vectors' padding). */
/* clang-format off */
static const uint8_t rfc5769_request[] = {
    0x00, 0x01, 0x00, 0x58,
    0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x10,
    0x53, 0x54, 0x55, 0x4e,
    0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c,
    0x69, 0x65, 0x6e, 0x74,
    0x00, 0x24, 0x00, 0x04,
    0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08,
    0x93, 0x2f, 0xf9, 0xb1,
    0x51, 0x26, 0x3b, 0x36,
    0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a,
    0x3a, 0x68, 0x36, 0x76,
    0x59, 0x20, 0x20, 0x20,
    0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c,
    0xbf, 0xd8, 0xcb, 0x56,
    0x78, 0x1e, 0xf2, 0xb5,
    0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2,
    0x80, 0x28, 0x00, 0x04,
    0xe5, 0x7a, 0x3b, 0xcf,
};
static const uint8_t rfc5769_response_ipv4[] = {
    0x01, 0x01, 0x00, 0x3c,
    0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74,
    0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x08,
    0x00, 0x01, 0xa1, 0x47,
    0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14,
    0x2b, 0x91, 0xf5, 0x99,
    0xfd, 0x9e, 0x90, 0xc3,
    0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53,
    0xf0, 0x6b, 0xe7, 0xd7,
    0x80, 0x28, 0x00, 0x04,
    0xc0, 0x7d, 0x4c, 0x96,
};
static const uint8_t rfc5769_response_ipv6[] = {
    0x01, 0x01, 0x00, 0x48,
    0x21, 0x12, 0xa4, 0x42,
    0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae,
    0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74,
    0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x14,
    0x00, 0x02, 0xa1, 0x47,
    0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79,
    0xbc, 0x25, 0xf4, 0xb5,
    0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e,
    0x4b, 0xe6, 0x7b, 0xf1,
    0x17, 0x84, 0xc9, 0x7c,
    0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04,
    0xc8, 0xfb, 0x0b, 0x4c,
};
static const uint8_t rfc5769_request_long_term[] = {
    0x00, 0x01, 0x00, 0x60,
    0x21, 0x12, 0xa4, 0x42,
    0x78, 0xad, 0x34, 0x33,
    0xc6, 0xad, 0x72, 0xc0,
    0x29, 0xda, 0x41, 0x2e,
    0x00, 0x06, 0x00, 0x12,
    0xe3, 0x83, 0x9e, 0xe3,
    0x83, 0x88, 0xe3, 0x83,
    0xaa, 0xe3, 0x83, 0x83,
    0xe3, 0x82, 0xaf, 0xe3,
    0x82, 0xb9, 0x00, 0x00,
    0x00, 0x15, 0x00, 0x1c,
    0x66, 0x2f, 0x2f, 0x34,
    0x39, 0x39, 0x6b, 0x39,
    0x35, 0x34, 0x64, 0x36,
    0x4f, 0x4c, 0x33, 0x34,
    0x6f, 0x4c, 0x39, 0x46,
    0x53, 0x54, 0x76, 0x79,
    0x36, 0x34, 0x73, 0x41,
    0x00, 0x14, 0x00, 0x0b,
    0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x2e,
    0x6f, 0x72, 0x67, 0x00,
    0x00, 0x08, 0x00, 0x14,
    0xf6, 0x70, 0x24, 0x65,
    0x6d, 0xd6, 0x4a, 0x3e,
    0x02, 0xb8, 0xe0, 0x71,
    0x2e, 0x85, 0xc9, 0xa2,
    0x8c, 0xa8, 0x96, 0x66,
};
/* clang-format on */

static const char rfc5769_password[] = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t rfc5769_tid[STUN_TID_LEN] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                                  0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

#define PARSE(arr, m) stun_parse(arr, sizeof(arr), m)

static int integrity(const uint8_t *buf, size_t len, const StunMessage *m, const char *key) {
    return stun_check_integrity(buf, len, m, key, strlen(key));
}

TEST(rfc5769_sample_request) {
    StunMessage m;
    ASSERT_EQ(PARSE(rfc5769_request, &m), 0);
    ASSERT_EQ(m.type, STUN_BINDING_REQUEST);
    ASSERT_MEMEQ(m.tid, rfc5769_tid, STUN_TID_LEN);
    ASSERT_TRUE(m.has_fingerprint);
    ASSERT_TRUE(m.username_len == 9 && memcmp(m.username, "evtj:h6vY", 9) == 0);
    ASSERT_TRUE(m.has_priority && m.priority == 0x6e0001ff);
    ASSERT_TRUE(m.ice_controlled && !m.ice_controlling);
    ASSERT_EQ_U(m.tiebreaker, UINT64_C(0x932ff9b151263b36));
    ASSERT_FALSE(m.use_candidate);
    ASSERT_EQ(m.unknown_count, 0); /* SOFTWARE is comprehension-optional */
    ASSERT_EQ(m.integrity_off, 0x58 - 8 - 24 + 20);
    ASSERT_EQ(integrity(rfc5769_request, sizeof(rfc5769_request), &m, rfc5769_password), 0);
    ASSERT_EQ(integrity(rfc5769_request, sizeof(rfc5769_request), &m, "VOkJxbRl1RmTxUk/WvJxBT"),
              -EACCES);
    const char *local, *remote;
    size_t local_len, remote_len;
    ASSERT_EQ(stun_ice_ufrags(&m, &local, &local_len, &remote, &remote_len), 0);
    ASSERT_TRUE(local_len == 4 && memcmp(local, "evtj", 4) == 0);
    ASSERT_TRUE(remote_len == 4 && memcmp(remote, "h6vY", 4) == 0);
}

TEST(rfc5769_sample_request_rebuilt) {
    uint8_t b[256];
    StunWriter w;
    stun_writer_init(&w, b, sizeof(b), STUN_BINDING_REQUEST, rfc5769_tid);
    w.pad = 0x20;
    stun_put_attr(&w, STUN_ATTR_SOFTWARE, "STUN test client", 16);
    stun_put_u32(&w, STUN_ATTR_PRIORITY, 0x6e0001ff);
    stun_put_u64(&w, STUN_ATTR_ICE_CONTROLLED, UINT64_C(0x932ff9b151263b36));
    stun_put_attr(&w, STUN_ATTR_USERNAME, "evtj:h6vY", 9);
    stun_put_integrity(&w, rfc5769_password, strlen(rfc5769_password));
    stun_put_fingerprint(&w);
    ASSERT_EQ(stun_writer_finish(&w), sizeof(rfc5769_request));
    ASSERT_MEMEQ(b, rfc5769_request, sizeof(rfc5769_request));
}

static void ipv6_of(const char *text, StunAddr *a, uint16_t port) {
    *a = (StunAddr){.family = 6, .port = port};
    inet_pton(AF_INET6, text, a->addr);
}

TEST(rfc5769_sample_responses) {
    StunMessage m;
    ASSERT_EQ(PARSE(rfc5769_response_ipv4, &m), 0);
    ASSERT_EQ(m.type, STUN_BINDING_SUCCESS);
    ASSERT_TRUE(m.has_xor_mapped && m.xor_mapped.family == 4 && m.xor_mapped.port == 32853);
    ASSERT_MEMEQ(m.xor_mapped.addr, "\xc0\x00\x02\x01", 4); /* 192.0.2.1 */
    ASSERT_EQ(integrity(rfc5769_response_ipv4, sizeof(rfc5769_response_ipv4), &m, rfc5769_password),
              0);
    ASSERT_EQ(PARSE(rfc5769_response_ipv6, &m), 0);
    StunAddr want;
    ipv6_of("2001:db8:1234:5678:11:2233:4455:6677", &want, 32853);
    ASSERT_TRUE(m.xor_mapped.family == 6 && m.xor_mapped.port == 32853);
    ASSERT_MEMEQ(m.xor_mapped.addr, want.addr, 16);
    ASSERT_EQ(integrity(rfc5769_response_ipv6, sizeof(rfc5769_response_ipv6), &m, rfc5769_password),
              0);
}

/* SOFTWARE, XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT as RFC 5769's responses have. */
static ssize_t response(uint8_t *b, size_t cap, const StunAddr *a) {
    StunWriter w;
    stun_writer_init(&w, b, cap, STUN_BINDING_SUCCESS, rfc5769_tid);
    w.pad = 0x20;
    stun_put_attr(&w, STUN_ATTR_SOFTWARE, "test vector", 11);
    stun_put_xor_address(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, a);
    stun_put_integrity(&w, rfc5769_password, strlen(rfc5769_password));
    stun_put_fingerprint(&w);
    return stun_writer_finish(&w);
}

TEST(rfc5769_sample_responses_rebuilt) {
    uint8_t b[256];
    StunAddr v4 = {.family = 4, .port = 32853, .addr = {192, 0, 2, 1}}, v6;
    ASSERT_EQ(response(b, sizeof(b), &v4), sizeof(rfc5769_response_ipv4));
    ASSERT_MEMEQ(b, rfc5769_response_ipv4, sizeof(rfc5769_response_ipv4));
    ipv6_of("2001:db8:1234:5678:11:2233:4455:6677", &v6, 32853);
    ASSERT_EQ(response(b, sizeof(b), &v6), sizeof(rfc5769_response_ipv6));
    ASSERT_MEMEQ(b, rfc5769_response_ipv6, sizeof(rfc5769_response_ipv6));
}

TEST(rfc5769_long_term_credentials) {
    /* key = MD5(username ":" realm ":" SASLprep(password)), the password's SASLprep form being
     * "TheMatrIX" (RFC 5769 section 2.4) */
    static const char input[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
                                "\xe3\x82\xb9:example.org:TheMatrIX";
    uint8_t key[MD5_DIGEST_SIZE];
    struct md5_ctx md5;
    md5_init(&md5);
    md5_update(&md5, sizeof(input) - 1, (const uint8_t *)input);
    md5_digest(&md5, sizeof(key), key);
    StunMessage m;
    ASSERT_EQ(PARSE(rfc5769_request_long_term, &m), 0);
    ASSERT_FALSE(m.has_fingerprint);
    ASSERT_EQ(m.username_len, 18);
    ASSERT_EQ(m.unknown_count, 0); /* REALM and NONCE are known, and skipped */
    ASSERT_EQ(stun_check_integrity(rfc5769_request_long_term, sizeof(rfc5769_request_long_term), &m,
                                   key, sizeof(key)),
              0);
    key[0] ^= 1;
    ASSERT_EQ(stun_check_integrity(rfc5769_request_long_term, sizeof(rfc5769_request_long_term), &m,
                                   key, sizeof(key)),
              -EACCES);
}

TEST(aiortc_binding_requests_and_response) {
    StunMessage m;
    ASSERT_EQ(PARSE(fx_stun_req_controlling, &m), 0);
    ASSERT_EQ(m.type, FX_STUN_REQ_CONTROLLING_TYPE);
    ASSERT_MEMEQ(m.tid, FX_STUN_REQ_CONTROLLING_TID, STUN_TID_LEN);
    ASSERT_EQ(m.username_len, strlen(FX_STUN_REQ_CONTROLLING_USERNAME));
    ASSERT_MEMEQ(m.username, FX_STUN_REQ_CONTROLLING_USERNAME, m.username_len);
    ASSERT_EQ_U(m.priority, FX_STUN_REQ_CONTROLLING_PRIORITY);
    ASSERT_TRUE(m.ice_controlling && !m.ice_controlled);
    ASSERT_EQ_U(m.tiebreaker, FX_STUN_REQ_CONTROLLING_ICE_CONTROLLING);
    ASSERT_EQ(m.use_candidate, FX_STUN_REQ_CONTROLLING_USE_CANDIDATE);
    ASSERT_TRUE(m.has_fingerprint);
    /* pc1 asks pc2: signed with pc2's password */
    ASSERT_EQ(
        integrity(fx_stun_req_controlling, sizeof(fx_stun_req_controlling), &m, FIXTURE_PC2_PWD),
        0);
    ASSERT_EQ(
        integrity(fx_stun_req_controlling, sizeof(fx_stun_req_controlling), &m, FIXTURE_PC1_PWD),
        -EACCES);

    ASSERT_EQ(PARSE(fx_stun_req_controlled, &m), 0);
    ASSERT_TRUE(m.ice_controlled && !m.use_candidate);
    ASSERT_EQ_U(m.tiebreaker, FX_STUN_REQ_CONTROLLED_ICE_CONTROLLED);
    ASSERT_EQ(
        integrity(fx_stun_req_controlled, sizeof(fx_stun_req_controlled), &m, FIXTURE_PC1_PWD), 0);

    ASSERT_EQ(PARSE(fx_stun_resp, &m), 0);
    ASSERT_EQ(m.type, FX_STUN_RESP_TYPE);
    ASSERT_MEMEQ(m.tid, FX_STUN_RESP_TID, STUN_TID_LEN);
    ASSERT_TRUE(m.has_xor_mapped && m.xor_mapped.family == 4);
    ASSERT_EQ(m.xor_mapped.port, FX_STUN_RESP_XOR_PORT);
    struct in_addr ip;
    inet_pton(AF_INET, FX_STUN_RESP_XOR_IP, &ip);
    ASSERT_MEMEQ(m.xor_mapped.addr, &ip, 4);
    /* the answer to pc2's request, signed by pc1 with its own password */
    ASSERT_EQ(integrity(fx_stun_resp, sizeof(fx_stun_resp), &m, FIXTURE_PC1_PWD), 0);
}

static const StunAddr peer = {.family = 4, .port = 50000, .addr = {10, 77, 0, 1}};

/* Answers buf as pc2 would if it were our ICE-lite agent, and parses the answer. */
static ssize_t answer(const uint8_t *buf, size_t len, uint8_t *out, size_t cap, uint16_t *code,
                      StunMessage *ret) {
    StunMessage m;
    int r = stun_parse(buf, len, &m);
    if (r < 0)
        return r;
    ssize_t n = stun_ice_lite_answer(buf, len, &m, FIXTURE_PC2_UFRAG, FIXTURE_PC2_PWD, &peer, out,
                                     cap, code);
    if (n > 0 && (stun_parse(out, (size_t)n, ret) < 0 || memcmp(ret->tid, m.tid, 12) != 0))
        return -EPROTO;
    return n;
}

TEST(ice_lite_answers_aiortc) {
    uint8_t out[256];
    uint16_t code = 999;
    StunMessage a;
    ssize_t n = answer(fx_stun_req_controlling, sizeof(fx_stun_req_controlling), out, sizeof(out),
                       &code, &a);
    ASSERT_GT(n, 0);
    ASSERT_EQ(code, 0);
    ASSERT_EQ(a.type, STUN_BINDING_SUCCESS);
    ASSERT_TRUE(a.has_fingerprint && a.has_xor_mapped);
    ASSERT_TRUE(a.xor_mapped.family == 4 && a.xor_mapped.port == 50000);
    ASSERT_MEMEQ(a.xor_mapped.addr, peer.addr, 4);
    ASSERT_EQ(integrity(out, (size_t)n, &a, FIXTURE_PC2_PWD), 0);
    ASSERT_EQ(n, 20 + 12 + 24 + 8);
    ASSERT_EQ(answer(fx_stun_req_controlling, sizeof(fx_stun_req_controlling), out, (size_t)n - 1,
                     &code, &a),
              -ENOBUFS);
}

/* A Binding request from pc1 to pc2 built with the writer: the attributes asked for. */
static size_t request(uint8_t *b, const char *username, const char *pwd, uint16_t extra_attr,
                      bool controlled) {
    StunWriter w;
    stun_writer_init(&w, b, 512, STUN_BINDING_REQUEST, rfc5769_tid);
    if (username)
        stun_put_attr(&w, STUN_ATTR_USERNAME, username, strlen(username));
    stun_put_u32(&w, STUN_ATTR_PRIORITY, 1);
    stun_put_u64(&w, controlled ? STUN_ATTR_ICE_CONTROLLED : STUN_ATTR_ICE_CONTROLLING, 5);
    if (extra_attr)
        stun_put_attr(&w, extra_attr, "abcd", 4);
    if (pwd)
        stun_put_integrity(&w, pwd, strlen(pwd));
    stun_put_fingerprint(&w);
    return (size_t)stun_writer_finish(&w);
}

TEST(ice_lite_error_answers) {
    uint8_t req[512], out[512];
    uint16_t code;
    StunMessage a;
    const char *user = FIXTURE_PC2_UFRAG ":" FIXTURE_PC1_UFRAG;
    size_t n = request(req, user, FIXTURE_PC2_PWD, 0, false);
    ASSERT_GT(answer(req, n, out, sizeof(out), &code, &a), 0);
    ASSERT_EQ(code, 0);
    /* 400: no MESSAGE-INTEGRITY, or no USERNAME; never signed */
    n = request(req, user, NULL, 0, false);
    ASSERT_GT(answer(req, n, out, sizeof(out), &code, &a), 0);
    ASSERT_TRUE(code == 400 && a.type == STUN_BINDING_ERROR && a.error_code == 400);
    ASSERT_TRUE(a.integrity_off == 0 && a.has_fingerprint);
    n = request(req, NULL, FIXTURE_PC2_PWD, 0, false);
    ASSERT_GT(answer(req, n, out, sizeof(out), &code, &a), 0);
    ASSERT_EQ(code, 400);
    /* 401: someone else's ufrag, no colon, a wrong password */
    n = request(req, "xxxx:" FIXTURE_PC1_UFRAG, FIXTURE_PC2_PWD, 0, false);
    ASSERT_GT(answer(req, n, out, sizeof(out), &code, &a), 0);
    ASSERT_TRUE(code == 401 && a.error_code == 401 && a.integrity_off == 0);
    n = request(req, FIXTURE_PC2_UFRAG, FIXTURE_PC2_PWD, 0, false);
    ASSERT_GT(answer(req, n, out, sizeof(out), &code, &a), 0);
    ASSERT_EQ(code, 401);
    n = request(req, FIXTURE_PC2_UFRAG "x:" FIXTURE_PC1_UFRAG, FIXTURE_PC2_PWD, 0, false);
    ASSERT_GT(answer(req, n, out, sizeof(out), &code, &a), 0);
    ASSERT_EQ(code, 401);
    n = request(req, user, FIXTURE_PC1_PWD, 0, false);
    ASSERT_GT(answer(req, n, out, sizeof(out), &code, &a), 0);
    ASSERT_EQ(code, 401);
    /* 420: an unknown comprehension-required attribute, listed back, signed */
    n = request(req, user, FIXTURE_PC2_PWD, 0x0003, false);
    ssize_t an = answer(req, n, out, sizeof(out), &code, &a);
    ASSERT_GT(an, 0);
    ASSERT_TRUE(code == 420 && a.error_code == 420);
    ASSERT_EQ(integrity(out, (size_t)an, &a, FIXTURE_PC2_PWD), 0);
    ASSERT_EQ(be16_get(out + 20 + 4 + 4 + 20), STUN_ATTR_UNKNOWN_ATTRIBUTES); /* after ERROR-CODE */
    ASSERT_EQ(be16_get(out + 20 + 4 + 4 + 20 + 4), 0x0003);
    /* an unknown comprehension-optional one is fine */
    n = request(req, user, FIXTURE_PC2_PWD, 0x8123, false);
    ASSERT_GT(answer(req, n, out, sizeof(out), &code, &a), 0);
    ASSERT_EQ(code, 0);
    /* 487: the peer claims the controlled role too; a lite agent cannot take the other */
    n = request(req, user, FIXTURE_PC2_PWD, 0, true);
    an = answer(req, n, out, sizeof(out), &code, &a);
    ASSERT_TRUE(an > 0 && code == 487 && a.error_code == 487);
    ASSERT_EQ(integrity(out, (size_t)an, &a, FIXTURE_PC2_PWD), 0);
}

TEST(ice_lite_ignores_what_is_not_a_request) {
    uint8_t out[256];
    uint16_t code = 999;
    StunMessage a, m;
    /* a Binding indication (keepalive): nothing to send */
    uint8_t ind[20] = {0x00, 0x11, 0, 0, 0x21, 0x12, 0xa4, 0x42};
    ASSERT_EQ(answer(ind, sizeof(ind), out, sizeof(out), &code, &a), 0);
    ASSERT_EQ(code, 0);
    /* a response is not answered */
    ASSERT_EQ(PARSE(fx_stun_resp, &m), 0);
    code = 999;
    ASSERT_EQ(stun_ice_lite_answer(fx_stun_resp, sizeof(fx_stun_resp), &m, "a", "b", &peer, out,
                                   sizeof(out), &code),
              -ENOMSG);
    ASSERT_EQ(code, 999);
    /* another method (0x0003, Allocate) neither */
    uint8_t alloc[20] = {0x00, 0x03, 0, 0, 0x21, 0x12, 0xa4, 0x42};
    ASSERT_EQ(answer(alloc, sizeof(alloc), out, sizeof(out), &code, &a), -ENOMSG);
}

static const Fixture stun_fixtures[] = {
    FIXTURE(rfc5769_request),
    FIXTURE(rfc5769_response_ipv4),
    FIXTURE(rfc5769_response_ipv6),
    FIXTURE(rfc5769_request_long_term),
    FIXTURE(fx_stun_req_controlling),
    FIXTURE(fx_stun_req_controlled),
    FIXTURE(fx_stun_resp),
};

TEST(every_prefix_fails) {
    for (size_t f = 0; f < sizeof(stun_fixtures) / sizeof(stun_fixtures[0]); f++)
        for (size_t n = 0; n < stun_fixtures[f].len; n++) {
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, stun_fixtures[f].data, n);
            StunMessage m;
            ASSERT_EQ(stun_parse(copy, n, &m), -EINVAL);
            free(copy);
        }
}

/* Parses the RFC 5769 request after a change at one offset (the FINGERPRINT may then fail). */
static int mutated(size_t at, uint8_t v, StunMessage *m) {
    uint8_t b[sizeof(rfc5769_request)];
    memcpy(b, rfc5769_request, sizeof(b));
    b[at] = v;
    return stun_parse(b, sizeof(b), m);
}

TEST(malformed_messages) {
    StunMessage m;
    ASSERT_EQ(mutated(0, 0x40, &m), -ENOMSG);   /* first bits not 00 */
    ASSERT_EQ(mutated(0, 0x80, &m), -ENOMSG);   /* an RTP-looking byte */
    ASSERT_EQ(mutated(4, 0x22, &m), -ENOMSG);   /* no magic cookie */
    ASSERT_EQ(mutated(3, 0x59, &m), -EINVAL);   /* length not a multiple of 4 */
    ASSERT_EQ(mutated(3, 0x54, &m), -EINVAL);   /* length not the datagram's */
    ASSERT_EQ(mutated(23, 0x40, &m), -EINVAL);  /* SOFTWARE past the end */
    ASSERT_EQ(mutated(43, 5, &m), -EINVAL);     /* PRIORITY of 5 bytes */
    ASSERT_EQ(mutated(41, 3, &m), -EBADMSG);    /* another type: the FINGERPRINT fails */
    ASSERT_EQ(mutated(30, 0xbe, &m), -EBADMSG); /* one bit of SOFTWARE: FINGERPRINT */
    ASSERT_EQ(mutated(sizeof(rfc5769_request) - 1, 0, &m), -EBADMSG);
    ASSERT_EQ(mutated(sizeof(rfc5769_request) - 5, 8, &m), -EINVAL); /* FINGERPRINT of 8 */
    ASSERT_EQ(stun_parse(rfc5769_request, 0, &m), -EINVAL);
    /* an integrity failure is not a parse failure */
    uint8_t b[sizeof(rfc5769_request)];
    memcpy(b, rfc5769_request, sizeof(b));
    b[sizeof(b) - 8 - 10] ^= 1; /* in the HMAC: fix the FINGERPRINT again below */
    StunWriter w = {.buf = b, .cap = sizeof(b), .len = sizeof(b) - 8};
    stun_put_fingerprint(&w);
    ASSERT_EQ(stun_writer_finish(&w), sizeof(b));
    ASSERT_EQ(stun_parse(b, sizeof(b), &m), 0);
    ASSERT_EQ(integrity(b, sizeof(b), &m, rfc5769_password), -EACCES);
}

/* A message of the given attributes, built with the writer, parsed. */
static int build_and_parse(uint16_t t1, const void *v1, size_t n1, uint16_t t2, const void *v2,
                           size_t n2, bool fingerprint, StunMessage *m) {
    static uint8_t b[1024];
    StunWriter w;
    stun_writer_init(&w, b, sizeof(b), STUN_BINDING_REQUEST, rfc5769_tid);
    stun_put_attr(&w, t1, v1, n1);
    if (t2)
        stun_put_attr(&w, t2, v2, n2);
    if (fingerprint)
        stun_put_fingerprint(&w);
    ssize_t n = stun_writer_finish(&w);
    return n < 0 ? (int)n : stun_parse(b, (size_t)n, m);
}

TEST(attribute_rules) {
    StunMessage m;
    static const uint8_t zeros[600] = {0};
    ASSERT_EQ(build_and_parse(STUN_ATTR_USE_CANDIDATE, zeros, 1, 0, 0, 0, 0, &m), -EINVAL);
    ASSERT_EQ(build_and_parse(STUN_ATTR_USE_CANDIDATE, zeros, 0, 0, 0, 0, 0, &m), 0);
    ASSERT_TRUE(m.use_candidate && !m.has_fingerprint);
    ASSERT_EQ(build_and_parse(STUN_ATTR_MESSAGE_INTEGRITY, zeros, 19, 0, 0, 0, 0, &m), -EINVAL);
    ASSERT_EQ(build_and_parse(STUN_ATTR_ICE_CONTROLLING, zeros, 4, 0, 0, 0, 0, &m), -EINVAL);
    ASSERT_EQ(build_and_parse(STUN_ATTR_ICE_CONTROLLING, zeros, 8, STUN_ATTR_ICE_CONTROLLED, zeros,
                              8, 0, &m),
              -EINVAL);
    ASSERT_EQ(build_and_parse(STUN_ATTR_USERNAME, zeros, 513, 0, 0, 0, 0, &m), -EINVAL);
    ASSERT_EQ(build_and_parse(STUN_ATTR_USERNAME, zeros, 512, 0, 0, 0, 0, &m), 0);
    ASSERT_EQ(
        stun_ice_ufrags(&m, &(const char *){0}, &(size_t){0}, &(const char *){0}, &(size_t){0}),
        -EINVAL); /* no colon */
    /* first occurrence wins */
    ASSERT_EQ(build_and_parse(STUN_ATTR_USERNAME, "a:b", 3, STUN_ATTR_USERNAME, "c:d", 3, 0, &m),
              0);
    ASSERT_TRUE(m.username_len == 3 && m.username[0] == 'a');
    /* XOR-MAPPED-ADDRESS: bad family, bad length */
    uint8_t xa[20] = {0, 3};
    ASSERT_EQ(build_and_parse(STUN_ATTR_XOR_MAPPED_ADDRESS, xa, 8, 0, 0, 0, 0, &m), -EINVAL);
    xa[1] = 1;
    ASSERT_EQ(build_and_parse(STUN_ATTR_XOR_MAPPED_ADDRESS, xa, 20, 0, 0, 0, 0, &m), -EINVAL);
    xa[1] = 2;
    ASSERT_EQ(build_and_parse(STUN_ATTR_XOR_MAPPED_ADDRESS, xa, 8, 0, 0, 0, 0, &m), -EINVAL);
    ASSERT_EQ(build_and_parse(STUN_ATTR_XOR_MAPPED_ADDRESS, xa, 20, 0, 0, 0, 0, &m), 0);
    /* ERROR-CODE: class 3-6, number 0-99 */
    uint8_t ec[4] = {0, 0, 4, 87};
    ASSERT_EQ(build_and_parse(STUN_ATTR_ERROR_CODE, ec, 4, 0, 0, 0, 0, &m), 0);
    ASSERT_EQ(m.error_code, 487);
    ec[2] = 2;
    ASSERT_EQ(build_and_parse(STUN_ATTR_ERROR_CODE, ec, 4, 0, 0, 0, 0, &m), -EINVAL);
    ec[2] = 4, ec[3] = 100;
    ASSERT_EQ(build_and_parse(STUN_ATTR_ERROR_CODE, ec, 4, 0, 0, 0, 0, &m), -EINVAL);
    ASSERT_EQ(build_and_parse(STUN_ATTR_ERROR_CODE, ec, 3, 0, 0, 0, 0, &m), -EINVAL);
    /* unknown comprehension-required attributes are noted, at most STUN_UNKNOWN_MAX */
    ASSERT_EQ(build_and_parse(0x0003, "x", 1, 0x7fff, "", 0, 1, &m), 0);
    ASSERT_TRUE(m.unknown_count == 2 && m.unknown[0] == 3 && m.unknown[1] == 0x7fff);
    ASSERT_TRUE(m.has_fingerprint);
}

TEST(after_integrity_only_fingerprint_counts) {
    uint8_t b[256];
    StunWriter w;
    StunMessage m;
    stun_writer_init(&w, b, sizeof(b), STUN_BINDING_REQUEST, rfc5769_tid);
    stun_put_attr(&w, STUN_ATTR_USERNAME, "a:b", 3);
    stun_put_integrity(&w, "k", 1);
    stun_put_attr(&w, STUN_ATTR_USERNAME, "c:d", 3);     /* ignored */
    stun_put_attr(&w, 0x0003, "x", 1);                   /* ignored, not unknown */
    stun_put_u32(&w, STUN_ATTR_PRIORITY, 1);             /* ignored */
    stun_put_attr(&w, STUN_ATTR_USE_CANDIDATE, "zz", 2); /* ignored, even malformed */
    stun_put_fingerprint(&w);
    ssize_t n = stun_writer_finish(&w);
    ASSERT_GT(n, 0);
    ASSERT_EQ(stun_parse(b, (size_t)n, &m), 0);
    ASSERT_TRUE(m.username[0] == 'a' && !m.has_priority && !m.use_candidate);
    ASSERT_EQ(m.unknown_count, 0);
    /* the HMAC covers up to MESSAGE-INTEGRITY, whatever follows */
    ASSERT_EQ(stun_check_integrity(b, (size_t)n, &m, "k", 1), 0);
    /* and nothing may follow FINGERPRINT */
    stun_put_attr(&w, STUN_ATTR_SOFTWARE, "x", 1);
    n = stun_writer_finish(&w);
    ASSERT_EQ(stun_parse(b, (size_t)n, &m), -EINVAL);
    /* no MESSAGE-INTEGRITY at all */
    ASSERT_EQ(PARSE(rfc5769_response_ipv4, &m), 0);
    m.integrity_off = 0;
    ASSERT_EQ(integrity(rfc5769_response_ipv4, sizeof(rfc5769_response_ipv4), &m, "k"), -ENODATA);
}

TEST(writer_errors_stick) {
    uint8_t b[64];
    StunWriter w;
    stun_writer_init(&w, b, 19, STUN_BINDING_REQUEST, rfc5769_tid);
    stun_put_xor_address(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, &peer);
    ASSERT_EQ(stun_writer_finish(&w), -ENOBUFS);
    stun_writer_init(&w, b, 20 + 7, STUN_BINDING_REQUEST, rfc5769_tid);
    stun_put_u32(&w, STUN_ATTR_PRIORITY, 1); /* needs 8 */
    stun_put_attr(&w, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    ASSERT_EQ(stun_writer_finish(&w), -ENOBUFS);
    ASSERT_EQ(w.len, 20);
    stun_writer_init(&w, b, sizeof(b), STUN_BINDING_REQUEST, rfc5769_tid);
    stun_put_attr(&w, STUN_ATTR_SOFTWARE, b, 70000);
    ASSERT_EQ(stun_writer_finish(&w), -EINVAL);
    stun_writer_init(&w, b, sizeof(b), STUN_BINDING_ERROR, rfc5769_tid);
    stun_put_error_code(&w, 299, "x");
    ASSERT_EQ(stun_writer_finish(&w), -EINVAL);
    stun_writer_init(&w, b, 20 + 24 + 7, STUN_BINDING_REQUEST, rfc5769_tid);
    stun_put_integrity(&w, "k", 1);
    stun_put_fingerprint(&w);
    ASSERT_EQ(stun_writer_finish(&w), -ENOBUFS);
    ASSERT_EQ(be16_get(b + 2), 24); /* the header counts what is there */
    StunMessage m;
    ASSERT_EQ(stun_parse(b, 44, &m), 0);
    ASSERT_EQ(stun_check_integrity(b, 44, &m, "k", 1), 0);
    /* the answers' own -ENOBUFS */
    ASSERT_EQ(PARSE(rfc5769_request, &m), 0);
    ASSERT_EQ(stun_binding_success(b, 20 + 12 + 24 + 7, &m, &peer, "k", 1), -ENOBUFS);
    ASSERT_EQ(stun_binding_error(b, 20, &m, 400, NULL, 0), -ENOBUFS);
    ASSERT_EQ(stun_binding_error(b, sizeof(b), &m, 700, NULL, 0), -EINVAL);
}

TEST(addresses_from_sockets) {
    StunAddr a;
    struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(4242)};
    inet_pton(AF_INET, "192.0.2.7", &s4.sin_addr);
    ASSERT_EQ(stun_addr_from_sockaddr((struct sockaddr *)&s4, &a), 0);
    ASSERT_TRUE(a.family == 4 && a.port == 4242 && a.addr[0] == 192 && a.addr[3] == 7);
    struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
    inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
    ASSERT_EQ(stun_addr_from_sockaddr((struct sockaddr *)&s6, &a), 0);
    ASSERT_TRUE(a.family == 6 && a.port == 9 && a.addr[0] == 0x20 && a.addr[15] == 1);
    inet_pton(AF_INET6, "::ffff:10.77.0.2", &s6.sin6_addr); /* a dual-stack socket's IPv4 peer */
    ASSERT_EQ(stun_addr_from_sockaddr((struct sockaddr *)&s6, &a), 0);
    ASSERT_TRUE(a.family == 4 && a.addr[0] == 10 && a.addr[3] == 2);
    struct sockaddr_un su = {.sun_family = AF_UNIX};
    ASSERT_EQ(stun_addr_from_sockaddr((struct sockaddr *)&su, &a), -EAFNOSUPPORT);
}

TEST_MAIN()
