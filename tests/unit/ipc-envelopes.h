/* ipc-envelopes: api-signal Envelopes for the tests of the IPC peer and its bindings: events are
 * one-way frames, ApiCall and ApiCallResult a request and its reply, UserSessions a request the
 * tests' owners do not serve. Each returns a static envelope, valid until the next call of the
 * same function. */
#pragma once

#include <errno.h>
#include <stdio.h>

#include "hype-ipc-api-signal.h"

static inline ProtobufCMessage *ipc_test_event(const char *json) {
    static Hype__ApiSignal__Event ev;
    static Hype__ApiSignal__Envelope env;
    hype__api_signal__event__init(&ev);
    hype__api_signal__envelope__init(&env);
    ev.kind = HYPE__API_SIGNAL__EVENT_KIND__EVENT_MESSAGE;
    ev.json = (char *)json;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT;
    env.event = &ev;
    return &env.base;
}

static inline Hype__ApiSignal__Envelope *ipc_test_request(const char *json) {
    static Hype__ApiSignal__ApiCall call;
    static Hype__ApiSignal__Envelope env;
    hype__api_signal__api_call__init(&call);
    hype__api_signal__envelope__init(&env);
    call.body = (char *)json;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL;
    env.api_call = &call;
    return &env;
}

static inline Hype__ApiSignal__Envelope *ipc_test_result(const char *json) {
    static Hype__ApiSignal__ApiCallResult result;
    static Hype__ApiSignal__Envelope env;
    hype__api_signal__api_call_result__init(&result);
    hype__api_signal__envelope__init(&env);
    result.status = 200;
    result.body = (char *)json;
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL_RESULT;
    env.api_call_result = &result;
    return &env;
}

static inline ProtobufCMessage *ipc_test_unserved(void) {
    static Hype__ApiSignal__UserSessions q;
    static Hype__ApiSignal__Envelope env;
    hype__api_signal__user_sessions__init(&q);
    hype__api_signal__envelope__init(&env);
    env.body_case = HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS;
    env.user_sessions = &q;
    return &env.base;
}

static inline ProtobufCMessage *ipc_test_hello(uint32_t version, Hype__Role role) {
    static Hype__Hello h;
    static Hype__ApiSignal__Envelope env;
    hype__hello__init(&h);
    h.protocol_version = version;
    h.role = role;
    h.instance = "raw";
    return ipc_envelope_init_hello(&ipc_link_api_signal, &env, &h);
}

/* What an owner records of a reply: the echoed body, or the Error's code. */
static inline void ipc_test_read_reply(const ProtobufCMessage *msg, int error, char *json,
                                       size_t size, uint32_t *code) {
    const Hype__ApiSignal__Envelope *reply = msg ? ipc_api_signal(msg) : NULL;
    if (error == -EREMOTEIO)
        *code = reply->error->code;
    if (error == 0)
        snprintf(json, size, "%s", reply->api_call_result->body);
}
