/* signal-rooms: seed 001's mesh relay: join-room, leave-room, and signal between the sockets of
 * one room. */
#include "signal-rooms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-id.h"
#include "hype-json.h"

static json_object *participant_json(const Session *s) {
    json_object *p = json_object_new_object(), *u = json_object_new_object();
    char uid[ID_STRING_MAX];
    json_object_object_add(u, "id", json_object_new_string(id_to_string(s->who.user_id, uid)));
    json_object_object_add(u, "username", json_object_new_string(s->who.username));
    json_object_object_add(u, "profilePicture", NULL);
    json_object_object_add(u, "role", json_object_new_string("user"));
    json_object_object_add(p, "micToggle", json_object_new_boolean(1));
    json_object_object_add(p, "socketId", json_object_new_string(s->id));
    json_object_object_add(p, "userData", u);
    return p;
}

static void publish(Signal *sig, const char *key, const char *type, json_object *data,
                    const Session *skip) {
    OutEvent *ev = out_event_new(type, json_serialize(data, NULL));
    if (ev)
        sessions_publish_one(sig, key, ev, skip);
    out_event_unref(ev);
}

static void send_to(Session *s, const char *type, json_object *data) {
    OutEvent *ev = out_event_new(type, json_serialize(data, NULL));
    if (ev)
        session_send(s, ev);
    out_event_unref(ev);
}

static const char *room_key(char *buf, size_t size, const char *room) {
    snprintf(buf, size, "r:%s", room);
    return buf;
}

int rooms_join(Session *s, json_object *data, const char **error) {
    Signal *sig = s->sig;
    const char *room = json_object_is_type(data, json_type_string)
                           ? json_object_get_string(data)
                           : json_object_get_string(json_get(data, "roomId"));
    if (!room || !*room || strlen(room) > ROOM_ID_MAX) {
        *error = "join-room needs a room id (1-128 characters)";
        return 400;
    }
    rooms_leave(s); /* one room at a time; joining again starts over, as a fresh join would */
    char key[ROOM_ID_MAX + 8];
    room_key(key, sizeof(key), room);
    s->room = strdup(room);
    if (!s->room || !bus_subscribe(sig->bus, key, s, &s->subs)) {
        free(s->room);
        s->room = NULL;
        *error = "Cannot join the room now";
        return 503;
    }
    json_object *created = json_object_new_object(), *list = json_object_new_array();
    size_t n;
    Sub *const *subs = bus_subscribers(sig->bus, key, &n);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(list, participant_json(subs[i]->owner));
    json_object_object_add(created, "roomId", json_object_new_string(room));
    json_object_object_add(created, "participants", list);
    send_to(s, "created", created);
    json_object_put(created);
    json_object *joined = participant_json(s);
    json_object_object_del(joined, "micToggle");
    publish(sig, key, "user-connected", joined, s);
    json_object_put(joined);
    return 0;
}

void rooms_leave(Session *s) {
    Signal *sig = s->sig;
    if (!s->room)
        return;
    char key[ROOM_ID_MAX + 8];
    room_key(key, sizeof(key), s->room);
    Sub *sub = bus_find(s->subs, key);
    if (sub)
        bus_unsubscribe(sig->bus, sub, &s->subs);
    free(s->room);
    s->room = NULL;
    json_object *gone = json_object_new_string(s->id);
    publish(sig, key, "user-disconnected", gone, s);
    json_object_put(gone);
}

int rooms_signal(Session *s, json_object *data, const char **error) {
    Signal *sig = s->sig;
    const char *to = json_object_get_string(json_get(data, "to"));
    const char *type = json_object_get_string(json_get(data, "type"));
    if (!to || !type) {
        *error = "signal needs {to, type}";
        return 400;
    }
    if (!s->room) {
        *error = "Join a room before signaling";
        return 409;
    }
    char key[ROOM_ID_MAX + 8];
    size_t n;
    Sub *const *subs = bus_subscribers(sig->bus, room_key(key, sizeof(key), s->room), &n);
    Session *target = NULL;
    for (size_t i = 0; i < n && !target; i++) {
        Session *o = subs[i]->owner;
        if (o != s && strcmp(o->id, to) == 0)
            target = o;
    }
    if (!target) {
        *error = "Signal target is not in your room";
        return 404;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, "from", json_object_new_string(s->id));
    json_object_object_add(out, "type", json_object_new_string(type));
    json_object_object_add(out, "sdp", json_object_get(json_get(data, "sdp")));
    json_object_object_add(out, "candidate", json_object_get(json_get(data, "candidate")));
    send_to(target, "signal", out);
    json_object_put(out);
    return 0;
}
