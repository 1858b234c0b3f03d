/* api-events: hype-api's link to hype-signal over signal.sock: publishes change events once
 * committed, and serves the API calls hype-signal relays for its clients. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api-permissions.h"
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
void api_publish_channel(Api *api, const char *type, uint64_t server_id, uint64_t channel_id,
                         json_object *data, bool permissions_changed,
                         const ApiChannelBefore *before);

#define API_AUDIENCE_CHUNK 50000 /* user ids a frame: 10 bytes each at most, half a frame */
