/* Unit tests for common/hype-ws: framing (RFC 6455 §5.7 examples) and handshake checks. */
#include "hype-ws.h"
#include "test.h"

TEST(rfc_masked_hello) {
    uint8_t frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    WsFrameHeader h;
    uint16_t code = 0;
    ASSERT_EQ(ws_frame_header_parse(frame, 1, &h, &code), 0);
    ASSERT_EQ(ws_frame_header_parse(frame, 5, &h, &code), 0);
    ASSERT_EQ(ws_frame_header_parse(frame, sizeof(frame), &h, &code), 6);
    ASSERT_TRUE(h.fin);
    ASSERT_EQ(h.opcode, WS_OP_TEXT);
    ASSERT_EQ(h.payload_len, 5);
    /* Unmask in two pieces: the offset keeps the mask phase. */
    ws_mask_apply(frame + 6, 2, h.mask, 0);
    ws_mask_apply(frame + 8, 3, h.mask, 2);
    ASSERT_MEMEQ(frame + 6, "Hello", 5);
}

TEST(mask_word_path_matches_byte_path) {
    uint8_t a[37], b[37], mask[4] = {1, 2, 3, 4};
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = b[i] = (uint8_t)(i * 7);
    ws_mask_apply(a + 3, 34, mask, 3);
    for (size_t i = 0; i < 34; i++)
        b[3 + i] ^= mask[(i + 3) & 3];
    ASSERT_MEMEQ(a, b, sizeof(a));
}

TEST(refuses_unmasked_reserved_unknown_and_bad_control) {
    WsFrameHeader h;
    uint16_t code = 0;
    uint8_t unmasked[] = {0x81, 0x05, 'H', 'e', 'l', 'l', 'o'};
    ASSERT_EQ(ws_frame_header_parse(unmasked, sizeof(unmasked), &h, &code), -EPROTO);
    ASSERT_EQ(code, WS_CLOSE_PROTOCOL_ERROR);
    uint8_t rsv[] = {0xC1, 0x80, 0, 0, 0, 0};
    ASSERT_EQ(ws_frame_header_parse(rsv, sizeof(rsv), &h, &code), -EPROTO);
    uint8_t op3[] = {0x83, 0x80, 0, 0, 0, 0};
    ASSERT_EQ(ws_frame_header_parse(op3, sizeof(op3), &h, &code), -EPROTO);
    uint8_t opB[] = {0x8B, 0x80, 0, 0, 0, 0};
    ASSERT_EQ(ws_frame_header_parse(opB, sizeof(opB), &h, &code), -EPROTO);
    uint8_t frag_ping[] = {0x09, 0x80, 0, 0, 0, 0};
    ASSERT_EQ(ws_frame_header_parse(frag_ping, sizeof(frag_ping), &h, &code), -EPROTO);
    uint8_t big_ping[] = {0x89, 0xFE, 0, 126, 0, 0, 0, 0};
    ASSERT_EQ(ws_frame_header_parse(big_ping, sizeof(big_ping), &h, &code), -EPROTO);
    uint8_t top_bit[] = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    ASSERT_EQ(ws_frame_header_parse(top_bit, sizeof(top_bit), &h, &code), -EPROTO);
    uint8_t ping125[] = {0x89, 0xFD, 1, 2, 3, 4};
    ASSERT_EQ(ws_frame_header_parse(ping125, sizeof(ping125), &h, &code), 6);
}

TEST(extended_lengths_round_trip) {
    uint64_t lens[] = {0, 125, 126, 65535, 65536, 1ull << 40};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        uint8_t buf[WS_HEADER_MAX], mask[4] = {9, 8, 7, 6};
        size_t n = ws_frame_header_encode(buf, WS_OP_BINARY, true, lens[i], mask);
        WsFrameHeader h;
        uint16_t code;
        ASSERT_EQ(ws_frame_header_parse(buf, n, &h, &code), (int)n);
        ASSERT_EQ_U(h.payload_len, lens[i]);
        ASSERT_MEMEQ(h.mask, mask, 4);
        ASSERT_EQ(ws_frame_header_encode(buf, WS_OP_TEXT, true, lens[i], NULL), n - 4);
    }
}

TEST(close_codes) {
    ASSERT_TRUE(ws_close_code_receivable(1000));
    ASSERT_TRUE(ws_close_code_receivable(1011));
    ASSERT_TRUE(ws_close_code_receivable(3000));
    ASSERT_TRUE(ws_close_code_receivable(4999));
    ASSERT_FALSE(ws_close_code_receivable(999));
    ASSERT_FALSE(ws_close_code_receivable(1004));
    ASSERT_FALSE(ws_close_code_receivable(1005));
    ASSERT_FALSE(ws_close_code_receivable(1006));
    ASSERT_FALSE(ws_close_code_receivable(1015));
    ASSERT_FALSE(ws_close_code_receivable(2000));
    ASSERT_FALSE(ws_close_code_receivable(5000));
}

static int check(const char *raw, char *accept, const char **reason) {
    static char buf[1024];
    snprintf(buf, sizeof(buf), "%s", raw);
    HttpRequestHead head;
    int status;
    const char *why;
    if (http_parse_head(buf, strlen(buf), &head, &status, &why) < 0)
        return -status;
    return ws_handshake_check(&head, accept, reason);
}

TEST(handshake_rfc_example_and_refusals) {
    char accept[WS_ACCEPT_LEN + 1];
    const char *reason = NULL;
    ASSERT_EQ(
        check("GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
              "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n",
              accept, &reason),
        0);
    ASSERT_STREQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    ASSERT_EQ(check("POST / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", accept,
                    &reason),
              405);
    ASSERT_EQ(check("GET / HTTP/1.1\r\nConnection: Upgrade\r\n\r\n", accept, &reason), 400);
    ASSERT_EQ(
        check("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n",
              accept, &reason),
        426);
    ASSERT_EQ(check("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n",
                    accept, &reason),
              400);
}

TEST(header_tokens) {
    ASSERT_TRUE(ws_header_has_token("keep-alive, Upgrade", "upgrade"));
    ASSERT_TRUE(ws_header_has_token("Upgrade", "upgrade"));
    ASSERT_FALSE(ws_header_has_token("upgrades", "upgrade"));
    ASSERT_FALSE(ws_header_has_token("", "upgrade"));
}

TEST_MAIN()
