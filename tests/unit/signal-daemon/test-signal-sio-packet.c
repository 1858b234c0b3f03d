/* Unit tests for signal-daemon/signal-eio-packet and signal-sio-packet (the test suites' and
 * the protocol documents' examples). */
#include "signal-eio-packet.h"
#include "signal-sio-packet.h"
#include "test.h"

static int parse(const char *text, SioPacket *p) {
    return sio_parse(text, strlen(text), p);
}

TEST(sio_valid_packets) {
    SioPacket p;
    ASSERT_EQ(parse("0", &p), 0);
    ASSERT_EQ(p.type, SIO_CONNECT);
    ASSERT_STREQ(p.nsp, "/");
    ASSERT_NULL(p.payload);
    ASSERT_EQ(parse("0/custom,{\"token\":\"abc\"}", &p), 0);
    ASSERT_STREQ(p.nsp, "/custom");
    ASSERT_STREQ(json_object_get_string(json_object_object_get(p.payload, "token")), "abc");
    sio_packet_done(&p);
    ASSERT_EQ(parse("0/custom", &p), 0);
    ASSERT_STREQ(p.nsp, "/custom");
    ASSERT_EQ(parse("2456[\"message-with-ack\",1,\"2\"]", &p), 0);
    ASSERT_TRUE(p.has_ack);
    ASSERT_EQ(p.ack_id, 456);
    sio_packet_done(&p);
    ASSERT_EQ(
        parse("52-789[\"m\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
              &p),
        0);
    ASSERT_EQ(p.type, SIO_BINARY_EVENT);
    ASSERT_EQ(p.attachments, 2);
    ASSERT_EQ(p.ack_id, 789);
    sio_packet_done(&p);
    ASSERT_EQ(parse("3/admin,13[\"bar\"]", &p), 0);
    ASSERT_EQ(p.type, SIO_ACK);
    sio_packet_done(&p);
    ASSERT_EQ(parse("1", &p), 0);
    ASSERT_EQ(p.type, SIO_DISCONNECT);
}

TEST(sio_refusals) {
    SioPacket p;
    const char *bad[] = {"",
                         "abc",
                         "2{}",
                         "2abc[\"x\"]",
                         "2[]",
                         "2[1]",
                         "4{}",
                         "7",
                         "0[1]",
                         "3[1]",
                         "5-[\"x\"]",
                         "52[\"x\"]",
                         "2[\"x\"] junk",
                         "21234567890123456[\"x\"]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(bad[i], &p) == 0) {
            sio_packet_done(&p);
            TEST_FAIL_("accepted %s", bad[i]);
        }
}

TEST(sio_encode_examples) {
    char *s = sio_encode(SIO_CONNECT, 0, "/custom", -1, "{\"sid\":\"x\"}");
    ASSERT_STREQ(s, "0/custom,{\"sid\":\"x\"}");
    free(s);
    s = sio_encode(SIO_ACK, 0, "/", 456, "[1]");
    ASSERT_STREQ(s, "3456[1]");
    free(s);
    s = sio_encode(SIO_BINARY_ACK, 2, "/", 789, "[]");
    ASSERT_STREQ(s, "62-789[]");
    free(s);
    s = sio_encode(SIO_CONNECT_ERROR, 0, "/random", -1, "{\"message\":\"Invalid namespace\"}");
    ASSERT_STREQ(s, "4/random,{\"message\":\"Invalid namespace\"}");
    free(s);
}

static int collect(const EioPacket *p, void *userdata) {
    char *out = userdata;
    char one[64];
    snprintf(one, sizeof(one), "%d%s:%.*s|", p->type, p->binary ? "b" : "", (int)p->len, p->data);
    strcat(out, one);
    return 0;
}

TEST(eio_payloads) {
    char scratch[64], out[256] = "";
    const char *body = "4hello\x1e"
                       "bAQIDBA==\x1e"
                       "2\x1e"
                       "4";
    ASSERT_EQ(eio_parse_payload(body, strlen(body), scratch, collect, out), 4);
    ASSERT_STREQ(out, "4:hello|4b:\x01\x02\x03\x04|2:|4:|");
    ASSERT_EQ(eio_parse_payload("abc", 3, scratch, collect, out), -EBADMSG);
    ASSERT_EQ(eio_parse_payload("4a\x1e", 3, scratch, collect, out), -EBADMSG); /* empty last */
    ASSERT_EQ(eio_parse_payload("b!!!!", 5, scratch, collect, out), -EBADMSG);
    EioBuf b = {0};
    ASSERT_OK(eio_buf_append_packet(&b, EIO_MESSAGE, false, "test1", 5));
    ASSERT_OK(eio_buf_append_packet(&b, EIO_MESSAGE, true, "\x01\x02\x03\x04", 4));
    ASSERT_OK(eio_buf_append_packet(&b, EIO_PING, false, "", 0));
    ASSERT_STREQ(b.data, "4test1\x1e"
                         "bAQIDBA==\x1e"
                         "2");
    eio_buf_free(&b);
    EioPacket p;
    ASSERT_EQ(eio_parse_text("2probe", 6, &p), 0);
    ASSERT_EQ(p.type, EIO_PING);
    ASSERT_EQ(p.len, 5);
    ASSERT_EQ(eio_parse_text("7", 1, &p), -EBADMSG);
    ASSERT_EQ(eio_parse_text("", 0, &p), -EBADMSG);
}

TEST_MAIN()
