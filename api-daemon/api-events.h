/* api-events: hype-api's link to hype-signal over signal.sock: publishes change events once
 * committed, and serves the API calls hype-signal relays for its clients. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hype.pb-c.h"

typedef struct Api Api;
typedef struct EventLink EventLink;

/*
 * The link connects to socket_path ("off": never) and reconnects with a growing delay (100 ms
 * up to 2 s) whenever hype-signal is absent or goes away; the API works either way.
 */
int events_new(Api *api, const char *socket_path, EventLink **ret);
void events_start(EventLink *link);
EventLink *events_free(EventLink *link);

typedef struct EventStats {
    uint64_t published;   /* handed to hype-signal */
    uint64_t undelivered; /* dropped: hype-signal absent or not keeping up */
    uint64_t calls;       /* API calls relayed by hype-signal */
    uint64_t connected;   /* 1 while linked */
} EventStats;
EventStats events_stats(const EventLink *link);

/*
 * Publishes a change clients should see live: type is the frame type ("message"), data (borrowed)
 * what they receive, kind and ids[0..n) who: a channel's subscribers, a server's online members,
 * a user's sessions. permissions_changed asks hype-signal to re-check its subscriptions in server
 * ids[0] (roles, overwrites, membership). Call it after the change is committed.
 */
void api_publish(Api *api, const char *type, Hype__Event__TargetKind kind, const uint64_t *ids,
                 size_t n, json_object *data, bool permissions_changed);
/* The same with ids[0] taken from a decimal-string field of data ("channelId", "serverId"). */
void api_publish_by_field(Api *api, const char *type, Hype__Event__TargetKind kind,
                          const char *field, json_object *data, bool permissions_changed);
