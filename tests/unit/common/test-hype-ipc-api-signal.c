/* Unit tests for common/hype-ipc-api-signal: the api-signal link's table of requests and their
 * results, and the one table of event kinds and the names clients see, held to the proto. */
#include <ctype.h>

#include "hype-ipc-api-signal.h"
#include "test.h"

#define LINK (&ipc_link_api_signal)

TEST(each_request_has_its_result) {
    ASSERT_EQ(ipc_link_result_of(LINK, HYPE__API_SIGNAL__ENVELOPE__BODY_CHANNEL_ACCESS),
              HYPE__API_SIGNAL__ENVELOPE__BODY_CHANNEL_ACCESS_RESULT);
    ASSERT_EQ(ipc_link_result_of(LINK, HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS),
              HYPE__API_SIGNAL__ENVELOPE__BODY_USER_SESSIONS_RESULT);
    /* Events, results and the shared bodies are no requests. */
    ASSERT_EQ(ipc_link_result_of(LINK, HYPE__API_SIGNAL__ENVELOPE__BODY_EVENT), 0);
    ASSERT_EQ(ipc_link_result_of(LINK, HYPE__API_SIGNAL__ENVELOPE__BODY_API_CALL_RESULT), 0);
    ASSERT_EQ(ipc_link_result_of(LINK, IPC_BODY_HELLO), 0);
    ASSERT_EQ(ipc_link_result_of(LINK, IPC_BODY_ERROR), 0);
    /* Every X of the proto with an "x_result" is a request answered by it, and only those. */
    const ProtobufCMessageDescriptor *d = LINK->envelope;
    size_t requests = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        char want[64];
        snprintf(want, sizeof(want), "%s_result", f->name);
        const ProtobufCFieldDescriptor *r =
            protobuf_c_message_descriptor_get_field_by_name(d, want);
        ASSERT_EQ(ipc_link_result_of(LINK, f->id), r ? r->id : 0);
        requests += r != NULL;
    }
    ASSERT_EQ(requests, LINK->n_pairs);
}

TEST(every_event_kind_has_one_name) {
    const ProtobufCEnumDescriptor *d = &hype__api_signal__event_kind__descriptor;
    int largest = 0;
    for (unsigned i = 0; i < d->n_values; i++) {
        const ProtobufCEnumValue *v = &d->values[i];
        largest = v->value > largest ? v->value : largest;
        const char *name = ipc_event_kind_name((Hype__ApiSignal__EventKind)v->value);
        if (v->value == HYPE__API_SIGNAL__EVENT_KIND__EVENT_UNSPECIFIED) {
            ASSERT_NULL(name);
            continue;
        }
        /* EVENT_MESSAGE_UPDATED is "message_updated": the proto's name says the client's; seed
         * 004's events are namespaced, EVENT_CALL_ENDED is "call:ended". */
        ASSERT_NOT_NULL(name);
        char want[64];
        size_t n = 0;
        const char *from = v->name + strlen("EVENT_");
        for (const char *p = from; *p && n + 1 < sizeof(want); p++)
            want[n++] = (p - from == 4 && strncmp(from, "CALL_", 5) == 0)
                            ? ':'
                            : (char)tolower((unsigned char)*p);
        want[n] = '\0';
        ASSERT_STREQ(name, want);
        for (unsigned j = 0; j < i; j++) {
            const char *other = ipc_event_kind_name((Hype__ApiSignal__EventKind)d->values[j].value);
            ASSERT_TRUE(!other || strcmp(other, name) != 0);
        }
    }
    ASSERT_EQ(largest + 1, IPC_EVENT_KIND_END);
    ASSERT_NULL(ipc_event_kind_name((Hype__ApiSignal__EventKind)IPC_EVENT_KIND_END));
    ASSERT_NULL(ipc_event_kind_name((Hype__ApiSignal__EventKind)-1));
}

TEST_MAIN()
