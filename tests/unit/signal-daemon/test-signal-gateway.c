/* Unit tests for signal-daemon/signal-gateway: the op registry (what each op requires, unknown
 * types, one registration per type), outcomes through the caller's reply, the pending-op bound. */
#include "signal-gateway.h"
#include "test.h"

typedef struct Seen {
    int calls;
    void *feature;
    OpOutcome last; /* its pointers are borrowed for the call: copied below */
    char message[128];
    char extra_type[32];
} Seen;

static void on_done(Session *s, const OpOutcome *o, void *userdata) {
    Seen *seen = userdata;
    seen->calls++;
    seen->last = *o;
    snprintf(seen->message, sizeof(seen->message), "%s", o->message ? o->message : "");
    const char *type = json_object_get_string(json_object_object_get(o->extra, "type"));
    snprintf(seen->extra_type, sizeof(seen->extra_type), "%s", type ? type : "");
}

static void op_ping(void *feature, Session *s, json_object *data, OpReply reply) {
    ((Seen *)reply.userdata)->feature = feature;
    gateway_succeed(s, reply, data);
}

static const GatewayOp ops[] = {
    {"ping", op_ping, OP_REQUIRES_READY},
};

TEST(ops_run_only_for_ready_sessions_and_unknown_types_are_refused) {
    SignalConfig cfg = {.pending_ops = 2};
    Gateway *gw = NULL;
    ASSERT_OK(gateway_new(&cfg, &gw));
    int feature;
    ASSERT_OK(gateway_register(gw, ops, 1, &feature));
    Session s = {.state = SESSION_AUTHENTICATING};
    Seen seen = {0};
    OpReply reply = {on_done, &seen};
    /* Before auth, a known op and an unknown one get the same answer. */
    gateway_handle(gw, &s, "ping", NULL, reply);
    ASSERT_EQ(seen.calls, 1);
    ASSERT_EQ(seen.last.code, HYPE__ERROR__CODE__CODE_UNAUTHENTICATED);
    gateway_handle(gw, &s, "nope", NULL, reply);
    ASSERT_EQ(seen.last.code, HYPE__ERROR__CODE__CODE_UNAUTHENTICATED);
    ASSERT_NULL(seen.feature);
    s.state = SESSION_READY;
    gateway_handle(gw, &s, "nope", NULL, reply);
    ASSERT_EQ(seen.last.code, HYPE__ERROR__CODE__CODE_BAD_REQUEST);
    ASSERT_STREQ(seen.message, "Unknown event type");
    ASSERT_STREQ(seen.extra_type, "nope");
    json_object *data = json_object_new_string("x");
    gateway_handle(gw, &s, "ping", data, reply);
    ASSERT_EQ(seen.calls, 4);
    ASSERT_EQ(seen.last.code, 0);
    ASSERT_TRUE(seen.last.data == data);
    ASSERT_TRUE(seen.feature == &feature);
    json_object_put(data);
    gateway_free(gw);
}

TEST(a_type_is_registered_once) {
    SignalConfig cfg = {.pending_ops = 2};
    Gateway *gw = NULL;
    ASSERT_OK(gateway_new(&cfg, &gw));
    ASSERT_OK(gateway_register(gw, ops, 1, NULL));
    ASSERT_EQ(gateway_register(gw, ops, 1, NULL), -EEXIST);
    static const GatewayOp auth_again[] = {{"auth", op_ping, OP_REQUIRES_NOTHING}};
    ASSERT_EQ(gateway_register(gw, auth_again, 1, NULL), -EEXIST);
    gateway_free(gw);
}

TEST(waiting_ops_are_bounded_per_session) {
    SignalConfig cfg = {.pending_ops = 2};
    Gateway *gw = NULL;
    ASSERT_OK(gateway_new(&cfg, &gw));
    Session s = {.state = SESSION_READY};
    Seen seen = {0};
    OpReply reply = {on_done, &seen};
    ASSERT_TRUE(gateway_op_begin(gw, &s, reply));
    ASSERT_TRUE(gateway_op_begin(gw, &s, reply));
    ASSERT_EQ(seen.calls, 0);
    ASSERT_FALSE(gateway_op_begin(gw, &s, reply));
    ASSERT_EQ(seen.calls, 1);
    ASSERT_EQ(seen.last.code, HYPE__ERROR__CODE__CODE_TOO_MANY);
    ASSERT_EQ(s.pending_ops, 2);
    /* An API answer ends one: its status, error and details reach the reply. */
    json_object *root = json_tokener_parse(
        "{\"success\":false,\"error\":\"Missing access\",\"details\":{\"perm\":\"VIEW\"}}");
    json_object *extra = json_object_new_object();
    gateway_op_end_api(&s, reply, HYPE__ERROR__CODE__CODE_FORBIDDEN, root, "fallback", extra);
    ASSERT_EQ(s.pending_ops, 1);
    ASSERT_EQ(seen.last.code, HYPE__ERROR__CODE__CODE_FORBIDDEN);
    ASSERT_STREQ(seen.message, "Missing access");
    ASSERT_NOT_NULL(json_object_object_get(extra, "details"));
    json_object_put(extra);
    json_object_put(root);
    ASSERT_TRUE(gateway_op_begin(gw, &s, reply));
    gateway_op_end(&s, reply, &(OpOutcome){0});
    gateway_op_end(&s, reply, &(OpOutcome){0});
    ASSERT_EQ(s.pending_ops, 0);
    gateway_free(gw);
}

TEST(clients_see_the_numbers_they_always_saw) {
    /* The one place a code becomes a number: the error a client receives. */
    static const struct {
        Hype__Error__Code code;
        int seen;
    } cases[] = {
        {HYPE__ERROR__CODE__CODE_BAD_REQUEST, 400}, {HYPE__ERROR__CODE__CODE_UNAUTHENTICATED, 401},
        {HYPE__ERROR__CODE__CODE_FORBIDDEN, 403},   {HYPE__ERROR__CODE__CODE_NOT_FOUND, 404},
        {HYPE__ERROR__CODE__CODE_CONFLICT, 409},    {HYPE__ERROR__CODE__CODE_TOO_MANY, 429},
        {HYPE__ERROR__CODE__CODE_UNAVAILABLE, 503}, {HYPE__ERROR__CODE__CODE_TIMEOUT, 503},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_object *extra = json_object_new_object();
        json_object_object_add(extra, "channelId", json_object_new_string("7"));
        OpOutcome o = {.code = cases[i].code, .message = "why", .extra = extra};
        json_object *d = gateway_error_json(&o);
        ASSERT_EQ(json_object_get_int(json_object_object_get(d, "code")), cases[i].seen);
        ASSERT_STREQ(json_object_get_string(json_object_object_get(d, "message")), "why");
        ASSERT_STREQ(json_object_get_string(json_object_object_get(d, "channelId")), "7");
        json_object_put(d);
        json_object_put(extra);
    }
}

TEST_MAIN()
