/* api-access: what the caller may do in a server: loads ownership, membership and roles once, then
 * answers 404/403. */
#include "api-access.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-reply.h"
#include "api-server.h"
#include "hype-id.h"
#include "hype-macro.h"

enum {
    S_SERVER,
    S_CHANNEL,
    S_MESSAGE,
    S_RANK,
    S__COUNT,
};

/* What each load returns, in this order: the server, whether the caller ($2, NULL when
 * anonymous) is a member, the caller's roles as "id:permissions,...", then the channel and the
 * message when loaded through them. */
#define ACCESS_COLUMNS                                                                             \
    "SELECT s.id, s.owner_id, s.is_blocked, s.is_default, e.id, e.permissions,"                    \
    "  m.user_id IS NOT NULL,"                                                                     \
    "  (SELECT string_agg(r.id || ':' || r.permissions || ':' || r.position, ',') FROM "           \
    "member_roles mr"                                                                              \
    "     JOIN roles r ON r.id = mr.role_id WHERE mr.server_id = s.id AND mr.user_id = $2)"
#define ACCESS_JOINS                                                                               \
    " JOIN roles e ON e.server_id = s.id AND e.is_everyone"                                        \
    " LEFT JOIN server_members m ON m.server_id = s.id AND m.user_id = $2"

static const DbStatement statements[] = {
    [S_SERVER] = {"access_server",
                  ACCESS_COLUMNS ", NULL, NULL, NULL, NULL, NULL"
                                 " FROM servers s" ACCESS_JOINS " WHERE s.id = $1",
                  2},
    [S_CHANNEL] = {"access_channel",
                   ACCESS_COLUMNS
                   ", c.id, c.type, " API_ACCESS_OVERWRITES_SQL ", NULL, NULL"
                   " FROM channels c JOIN servers s ON s.id = c.server_id" ACCESS_JOINS
                   " WHERE c.id = $1",
                   2},
    [S_MESSAGE] = {"access_message",
                   ACCESS_COLUMNS ", c.id, c.type, " API_ACCESS_OVERWRITES_SQL ", x.id, x.author_id"
                                  " FROM messages x JOIN channels c ON c.id = x.channel_id"
                                  " JOIN servers s ON s.id = c.server_id" ACCESS_JOINS
                                  " WHERE x.id = $1 AND x.deleted_at IS NULL",
                   2},
    /* Another member's highest role position (0 with none); no row for a non-member. */
    [S_RANK] = {"access_member_rank",
                "SELECT COALESCE(max(r.position), 0) FROM server_members m"
                " LEFT JOIN member_roles mr"
                "   ON mr.server_id = m.server_id AND mr.user_id = m.user_id"
                " LEFT JOIN roles r ON r.id = mr.role_id"
                " WHERE m.server_id = $1 AND m.user_id = $2 GROUP BY m.user_id",
                2},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

const ApiModule api_module_access = {
    .name = "access",
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};

/* One load: for a REST request (cb, answering failures itself), or for another caller (done). */
typedef struct Load {
    ApiServerAccess *a;
    api_access_cb cb;
    const char *not_found;
    api_access_done_cb done;
    void *userdata;
} Load;

/* The caller's roles as ACCESS_COLUMNS renders them, into arrays from the arena sized by the
 * text: a member may hold every role of the server. */
static bool parse_roles(ApiServerAccess *a, const char *text) {
    size_t max = perm_count_entries(text);
    if (max == 0)
        return true;
    uint64_t *ids = arena_alloc(a->arena, max * sizeof(*ids));
    uint64_t *perms = arena_alloc(a->arena, max * sizeof(*perms));
    int r = ids && perms ? perm_parse_roles(text, ids, perms, max, &a->top_position) : -ENOMEM;
    if (r < 0)
        return false;
    a->ctx.role_ids = ids;
    a->ctx.role_permissions = perms;
    a->ctx.n_roles = (size_t)r;
    return true;
}

static uint64_t u64_at(const DbResult *res, int col) {
    const char *v = db_value(res, 0, col);
    return v ? strtoull(v, NULL, 10) : 0;
}

/* Fills a from the load's row: 0, -ENOENT (no such row), -EACCES (server blocked), -ENOMEM, or
 * the database's error. The one computation of what the caller may do, whoever asked. */
static int fill(ApiServerAccess *a, const DbResult *res) {
    if (res->error)
        return res->error;
    if (db_ntuples(res) != 1)
        return -ENOENT;
    if (db_value(res, 0, 2)[0] == 't')
        return -EACCES;
    a->server_id = u64_at(res, 0);
    a->owner_id = u64_at(res, 1);
    a->is_default = db_value(res, 0, 3)[0] == 't';
    a->is_member = db_value(res, 0, 6)[0] == 't';
    a->ctx = (PermContext){
        .user_id = a->user_id,
        .is_owner = a->user_id && a->user_id == a->owner_id,
        .is_member = a->is_member,
        .everyone_role_id = u64_at(res, 4),
        .everyone_permissions = u64_at(res, 5),
    };
    if (!parse_roles(a, db_value(res, 0, 7)))
        return -ENOMEM;
    a->permissions = perm_compute(&a->ctx, NULL, 0);
    a->channel_id = u64_at(res, 8);
    if (a->channel_id) {
        a->channel_type = arena_strdup(a->arena, db_value(res, 0, 9));
        a->channel_permissions = api_access_channel(a, db_value(res, 0, 10));
    }
    a->message_id = u64_at(res, 11);
    a->message_author_id = u64_at(res, 12);
    return 0;
}

static void on_loaded(const DbResult *res, void *userdata) {
    Load *l = userdata;
    ApiServerAccess *a = l->a;
    int e = fill(a, res);
    if (l->done) {
        l->done(a, e, res, l->userdata);
        return;
    }
    if (e == -ENOENT)
        api_reply_error(a->r, 404, l->not_found);
    else if (e == -EACCES)
        api_reply_error(a->r, 403, "Server is blocked");
    else if (e == -ENOMEM)
        api_reply_error(a->r, 500, "Internal server error");
    else if (e < 0)
        api_reply_db_failed(a->r, res, "loading server access");
    else
        l->cb(a);
}

static void load(ApiRequest *r, int stmt, const char *id_text, const char *not_found,
                 api_access_cb cb, void *userdata) {
    uint64_t id;
    if (id_parse(id_text, &id) < 0) {
        api_reply_error(r, 404, not_found);
        return;
    }
    ApiServerAccess *a = api_zalloc(r, sizeof(*a));
    if (!a)
        return;
    Load *l = api_zalloc(r, sizeof(*l));
    if (!l)
        return;
    *a = (ApiServerAccess){
        .r = r, .arena = r->arena, .user_id = r->auth.user_id, .userdata = userdata};
    *l = (Load){.a = a, .cb = cb, .not_found = not_found};
    const char *params[2] = {api_id_str(r, id), a->user_id ? api_id_str(r, a->user_id) : NULL};
    api_db_query(r, &statements[stmt], params, on_loaded, l, "loading access");
}

void api_access_load(ApiRequest *r, const char *server_id, api_access_cb cb, void *userdata) {
    load(r, S_SERVER, server_id, "Server not found", cb, userdata);
}

void api_access_load_channel(ApiRequest *r, const char *channel_id, api_access_cb cb,
                             void *userdata) {
    load(r, S_CHANNEL, channel_id, "Channel not found", cb, userdata);
}

void api_access_load_message(ApiRequest *r, const char *message_id, api_access_cb cb,
                             void *userdata) {
    load(r, S_MESSAGE, message_id, "Message not found", cb, userdata);
}

int api_access_load_channel_as(Api *api, Arena *arena, uint64_t user_id, uint64_t channel_id,
                               api_access_done_cb done, void *userdata) {
    ApiServerAccess *a = arena_zalloc(arena, sizeof(*a));
    Load *l = arena_zalloc(arena, sizeof(*l));
    char *channel = arena_printf(arena, "%" PRIu64, channel_id);
    char *user = user_id ? arena_printf(arena, "%" PRIu64, user_id) : NULL;
    if (!a || !l || !channel || (user_id && !user))
        return -ENOMEM;
    *a = (ApiServerAccess){.arena = arena, .user_id = user_id};
    *l = (Load){.a = a, .done = done, .userdata = userdata};
    const char *params[2] = {channel, user};
    return db_query(api->db, &statements[S_CHANNEL], params, on_loaded, l);
}

int api_access_top_position(const ApiServerAccess *a) {
    return a->ctx.is_owner ? INT_MAX : a->top_position;
}

bool api_access_is_member(const ApiServerAccess *a) {
    return a->is_member || a->ctx.is_owner;
}

bool api_access_require_member(ApiServerAccess *a) {
    if (api_access_is_member(a))
        return true;
    if (!a->user_id)
        api_reply_error(a->r, 401, "Not authenticated");
    else
        api_reply_error(a->r, 403, API_ACCESS_NOT_MEMBER);
    return false;
}

uint64_t api_access_channel(const ApiServerAccess *a, const char *overwrites) {
    if (a->permissions & PERM_ADMINISTRATOR) /* the owner too: overwrites do not apply */
        return PERM_ALL;
    /* Most channels have a few overwrites; larger sets (up to ACCESS_CHANNEL_OVERWRITES_MAX, or
     * more written before that limit) take room from the request's arena. */
    PermOverwrite few[16], *ow = few;
    size_t max = perm_count_entries(overwrites);
    if (max > ELEMENTSOF(few))
        ow = arena_alloc(a->arena, max * sizeof(*ow));
    int n = ow ? perm_parse_overwrites(overwrites, ow, max) : -ENOMEM;
    /* Unreadable overwrites must not widen access: fall back to nothing. */
    if (n < 0)
        return 0;
    return perm_compute(&a->ctx, ow, (size_t)n);
}

bool api_access_require(ApiServerAccess *a, uint64_t perms, uint64_t need) {
    if ((perms & need) == need)
        return true;
    api_reply_error(a->r, a->user_id ? 403 : 401,
                    a->user_id ? API_ACCESS_MISSING_PERMISSIONS : "Not authenticated");
    return false;
}

typedef struct Rank {
    ApiServerAccess *a;
    void (*cb)(void *userdata);
    void *userdata;
} Rank;

static void on_rank(const DbResult *res, void *userdata) {
    Rank *k = userdata;
    ApiServerAccess *a = k->a;
    if (!api_reply_one_row(a->r, res, "loading a member's rank", 404, "Member not found"))
        return;
    /* The owner's top position is INT_MAX: above every role. */
    if (api_access_top_position(a) <= atoi(db_value(res, 0, 0))) {
        api_reply_error(a->r, 403, "You can only act on members whose highest role is below yours");
        return;
    }
    k->cb(k->userdata);
}

void api_access_require_above(ApiServerAccess *a, uint64_t user_id, void (*cb)(void *userdata),
                              void *userdata) {
    ApiRequest *r = a->r;
    if (user_id == r->auth.user_id) {
        cb(userdata);
        return;
    }
    if (user_id == a->owner_id) {
        api_reply_error(r, 403, "You cannot act on the server owner");
        return;
    }
    Rank *k = api_zalloc(r, sizeof(*k));
    if (!k)
        return;
    *k = (Rank){a, cb, userdata};
    const char *params[2] = {api_id_str(r, a->server_id), api_id_str(r, user_id)};
    api_db_query(r, &statements[S_RANK], params, on_rank, k, "loading a member's rank");
}

bool api_access_require_member_or_default(ApiServerAccess *a) {
    /* The default server is the public square every account joins: what its @everyone may view
     * is shown to anyone, signed in or not, member or not (after leaving it, say). */
    return a->is_default || api_access_require_member(a);
}

bool api_access_require_channel_of(ApiServerAccess *a, const char *server_id) {
    uint64_t id = 0;
    if (id_parse(server_id, &id) == 0 && id == a->server_id)
        return true;
    api_reply_error(a->r, 404, "Channel not found");
    return false;
}
