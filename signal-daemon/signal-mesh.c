/* signal-mesh: seed 001's mesh relay: join-room, leave-room, and signal between the sessions of one
 * mesh room (peers that connect to each other; "room" alone is for seed 003's rooms). */
#include "signal-mesh.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-id.h"
#include "hype-json.h"
#include "hype-macro.h"

/* Topic keys: "r:<room id>" (the bus's name for them since seed 001). */
#define MESH_KEY_MAX (MESH_ROOM_ID_MAX + 8)

struct Mesh {
    Bus *bus;
    SessionRegistry *sessions;
    unsigned slot; /* each session's room id (a string), or NULL */
};

static const char *room_of(const Mesh *m, const Session *s) {
    return s->slots[m->slot];
}

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

static void publish(Mesh *m, const char *key, const char *type, json_object *data,
                    const Session *skip) {
    OutEvent *ev = out_event_new(type, json_serialize(data, NULL));
    if (ev)
        sessions_publish_one(m->sessions, key, ev, skip);
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

static void leave(Mesh *m, Session *s) {
    char *room = s->slots[m->slot];
    if (!room)
        return;
    char key[MESH_KEY_MAX];
    room_key(key, sizeof(key), room);
    Sub *sub = bus_find(s->subs, key);
    if (sub)
        bus_unsubscribe(m->bus, sub, &s->subs);
    free(room);
    s->slots[m->slot] = NULL;
    json_object *gone = json_object_new_string(s->id);
    publish(m, key, "user-disconnected", gone, s);
    json_object_put(gone);
}

/* 0, or a code with *error set to a static message. */
static Hype__Error__Code join(Mesh *m, Session *s, json_object *data, const char **error) {
    const char *room = json_object_is_type(data, json_type_string)
                           ? json_object_get_string(data)
                           : json_object_get_string(json_get(data, "roomId"));
    if (!room || !*room || strlen(room) > MESH_ROOM_ID_MAX) {
        *error = "join-room needs a room id (1-128 characters)";
        return HYPE__ERROR__CODE__CODE_BAD_REQUEST;
    }
    leave(m, s); /* one room at a time; joining again starts over, as a fresh join would */
    char key[MESH_KEY_MAX];
    room_key(key, sizeof(key), room);
    char *copy = strdup(room);
    if (!copy || !bus_subscribe(m->bus, key, s, &s->subs)) {
        free(copy);
        *error = "Cannot join the room now";
        return ipc_error_from_errno(-ENOMEM);
    }
    s->slots[m->slot] = copy;
    json_object *created = json_object_new_object(), *list = json_object_new_array();
    size_t n;
    Sub *const *subs = bus_subscribers(m->bus, key, &n);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(list, participant_json(subs[i]->owner));
    json_object_object_add(created, "roomId", json_object_new_string(room));
    json_object_object_add(created, "participants", list);
    send_to(s, "created", created);
    json_object_put(created);
    json_object *joined = participant_json(s);
    json_object_object_del(joined, "micToggle");
    publish(m, key, "user-connected", joined, s);
    json_object_put(joined);
    return 0;
}

/* 0, or a code with *error set to a static message. */
static Hype__Error__Code relay_signal(Mesh *m, Session *s, json_object *data, const char **error) {
    const char *to = json_object_get_string(json_get(data, "to"));
    const char *type = json_object_get_string(json_get(data, "type"));
    if (!to || !type) {
        *error = "signal needs {to, type}";
        return HYPE__ERROR__CODE__CODE_BAD_REQUEST;
    }
    const char *room = room_of(m, s);
    if (!room) {
        *error = "Join a room before signaling";
        return HYPE__ERROR__CODE__CODE_CONFLICT;
    }
    char key[MESH_KEY_MAX];
    size_t n;
    Sub *const *subs = bus_subscribers(m->bus, room_key(key, sizeof(key), room), &n);
    Session *target = NULL;
    for (size_t i = 0; i < n && !target; i++) {
        Session *o = subs[i]->owner;
        if (o != s && strcmp(o->id, to) == 0)
            target = o;
    }
    if (!target) {
        *error = "Signal target is not in your room";
        return HYPE__ERROR__CODE__CODE_NOT_FOUND;
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

/* ---- ops ---- */

static void op_join_room(void *feature, Session *s, json_object *data, OpReply reply) {
    Mesh *m = feature;
    const char *error = NULL;
    Hype__Error__Code code = join(m, s, data, &error);
    if (code) {
        gateway_fail(s, reply, code, error, NULL);
        return;
    }
    json_object *d = json_object_new_object();
    json_object_object_add(d, "roomId", json_object_new_string(room_of(m, s)));
    gateway_succeed(s, reply, d);
    json_object_put(d);
}

static void op_leave_room(void *feature, Session *s, json_object *data, OpReply reply) {
    leave(feature, s);
    gateway_succeed(s, reply, NULL);
}

static void op_signal(void *feature, Session *s, json_object *data, OpReply reply) {
    const char *error = NULL;
    Hype__Error__Code code = relay_signal(feature, s, data, &error);
    if (code)
        gateway_fail(s, reply, code, error, NULL);
    else
        gateway_succeed(s, reply, NULL);
}

static const GatewayOp ops[] = {
    {"join-room", op_join_room, OP_REQUIRES_READY},
    {"leave-room", op_leave_room, OP_REQUIRES_READY},
    {"signal", op_signal, OP_REQUIRES_READY},
};

static void on_session_end(Session *s, void *userdata) {
    leave(userdata, s);
}

static const SessionHooks hooks = {.end = on_session_end, .free_state = free};

int mesh_new(Bus *bus, SessionRegistry *sessions, Gateway *gw, Mesh **ret) {
    Mesh *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    *m = (Mesh){.bus = bus, .sessions = sessions};
    int r = sessions_register(sessions, &hooks, m, &m->slot);
    if (r == 0)
        r = gateway_register(gw, ops, ELEMENTSOF(ops), m);
    if (r < 0) {
        free(m);
        return r;
    }
    *ret = m;
    return 0;
}

Mesh *mesh_free(Mesh *m) {
    free(m);
    return NULL;
}
