/* api-events: the change events hype-api publishes to hype-signal once committed, by kind, to
 * exactly who may see them. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api-permissions.h"
#include "hype-ipc-api-signal.h"

typedef struct Api Api;
typedef struct ApiEvents ApiEvents;

/* Events go over api->signal (api-signal.h); without hype-signal they are counted and dropped:
 * the API works the same. */
int api_events_new(Api *api, ApiEvents **ret);
/* After the database pool (api_free): no query of its own is running any more. */
ApiEvents *api_events_free(ApiEvents *events);

typedef struct ApiEventStats {
    uint64_t published;   /* handed to hype-signal */
    uint64_t undelivered; /* dropped: hype-signal absent or not keeping up */
} ApiEventStats;
ApiEventStats api_events_stats(const ApiEvents *events);

/*
 * Publishes a change clients should see live: kind what it is (the frame type clients see is its
 * name, hype-ipc-api-signal.h), data (borrowed) what they receive, target and ids[0..n) who: a
 * channel's subscribers, a server's online members, a user's sessions. permissions_changed asks
 * hype-signal to re-check its subscriptions in server ids[0] (roles, overwrites, membership).
 * Call it after the change is committed.
 */
void api_publish(Api *api, Hype__ApiSignal__EventKind kind,
                 Hype__ApiSignal__Event__TargetKind target, const uint64_t *ids, size_t n,
                 json_object *data, bool permissions_changed);
/* The same with ids[0] taken from a decimal-string field of data ("channelId", "serverId"). */
void api_publish_by_field(Api *api, Hype__ApiSignal__EventKind kind,
                          Hype__ApiSignal__Event__TargetKind target, const char *field,
                          json_object *data, bool permissions_changed);

/* What a channel was before the change an event is about, where that decides who gets it. */
typedef struct ApiChannelBefore {
    /* The channel is deleted: its overwrites as it had them (API_ACCESS_OVERWRITES_SQL's text,
     * NULL for none) stand for the ones there are no more. */
    bool deleted;
    const char *overwrites;
    /* One target's overwrites were written or removed: types holds (1 << PermTarget) of each
     * kind changed, previous what there was of those before (n_previous of them, none when
     * new). Members who could view the channel before and cannot now get channel_deleted
     * {id, serverId} instead of the event: it is gone for them. */
    uint64_t target_id;
    unsigned types;
    PermOverwrite previous[2];
    size_t n_previous;
} ApiChannelBefore;

/*
 * Publishes an event about a channel to exactly the members who may view it, as REST shows them
 * the channel: those whose permissions there (perm_compute, after its overwrites; the owner and
 * administrators see every channel) hold VIEW_CHANNEL. When every member may (see
 * perm_everyone_holds) it goes to the server, otherwise to those users (TARGET_USER, at most
 * API_AUDIENCE_CHUNK a frame). Who they are is read from the database after this returns: the
 * caller may reply first. Events about the channels of one server go out in the order they were
 * published; an event about a channel deleted meanwhile is dropped (its channel_deleted says
 * enough), and a database failure is logged and counted as undelivered. data is borrowed
 * (serialized at once); permissions_changed as for api_publish; before may be NULL.
 */
void api_publish_channel(Api *api, Hype__ApiSignal__EventKind kind, uint64_t server_id,
                         uint64_t channel_id, json_object *data, bool permissions_changed,
                         const ApiChannelBefore *before);

#define API_AUDIENCE_CHUNK 50000 /* user ids a frame: 10 bytes each at most, half a frame */
