/* api-access: what the caller may do in a server: loads ownership, membership and roles once, then
 * answers 404/403. */
#include "api-access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-reply.h"
#include "api-server.h"
#include "hype-id.h"

enum {
    S_LOAD,
};

static const DbStatement statements[] = {
    /* One row per existing server: who owns it, whether the caller ($2, NULL when anonymous)
     * is a member, and the caller's roles as "id:permissions,...". */
    [S_LOAD] = {"access_load",
                "SELECT s.id, s.owner_id, s.is_blocked, s.is_default, e.id, e.permissions,"
                "  m.user_id IS NOT NULL,"
                "  (SELECT string_agg(r.id || ':' || r.permissions, ',') FROM member_roles mr"
                "     JOIN roles r ON r.id = mr.role_id"
                "    WHERE mr.server_id = s.id AND mr.user_id = $2)"
                " FROM servers s JOIN roles e ON e.server_id = s.id AND e.is_everyone"
                " LEFT JOIN server_members m ON m.server_id = s.id AND m.user_id = $2"
                " WHERE s.id = $1",
                2},
};

const ApiModule api_module_access = {
    "access", NULL, 0, statements, sizeof(statements) / sizeof(statements[0]),
};

typedef struct Load {
    ApiServerAccess *a;
    api_access_cb cb;
} Load;

static bool parse_roles(ApiServerAccess *a, const char *text) {
    size_t n = 0;
    for (const char *p = text; p && *p;) {
        unsigned long long id, perms;
        int used = 0;
        if (n == ACCESS_ROLES_MAX || sscanf(p, "%llu:%llu%n", &id, &perms, &used) != 2)
            return false;
        a->role_ids[n] = id;
        a->role_perms[n] = perms;
        n++;
        p += used;
        if (*p == ',')
            p++;
    }
    a->ctx.n_roles = n;
    return true;
}

static uint64_t u64_at(const DbResult *res, int col) {
    const char *v = db_value(res, 0, col);
    return v ? strtoull(v, NULL, 10) : 0;
}

static void on_loaded(const DbResult *res, void *userdata) {
    Load *l = userdata;
    ApiServerAccess *a = l->a;
    if (api_reply_db_failed(a->r, res, "loading server access"))
        return;
    if (db_ntuples(res) != 1) {
        api_reply_error(a->r, 404, "Server not found");
        return;
    }
    if (db_value(res, 0, 2)[0] == 't') {
        api_reply_error(a->r, 403, "Server is blocked");
        return;
    }
    a->server_id = u64_at(res, 0);
    a->owner_id = u64_at(res, 1);
    a->is_default = db_value(res, 0, 3)[0] == 't';
    a->is_member = db_value(res, 0, 6)[0] == 't';
    a->ctx = (PermContext){
        .user_id = a->r->auth.user_id,
        .is_owner = a->r->auth.user_id && a->r->auth.user_id == a->owner_id,
        .is_member = a->is_member,
        .everyone_role_id = u64_at(res, 4),
        .everyone_permissions = u64_at(res, 5),
        .role_ids = a->role_ids,
        .role_permissions = a->role_perms,
    };
    if (!parse_roles(a, db_value(res, 0, 7))) {
        api_reply_error(a->r, 500, "Internal server error");
        return;
    }
    a->permissions = perm_compute(&a->ctx, NULL, 0);
    l->cb(a);
}

void api_access_load(ApiRequest *r, const char *server_id, api_access_cb cb, void *userdata) {
    uint64_t id;
    if (id_parse(server_id, &id) < 0) {
        api_reply_error(r, 404, "Server not found");
        return;
    }
    ApiServerAccess *a = arena_zalloc(r->arena, sizeof(*a));
    Load *l = arena_zalloc(r->arena, sizeof(*l));
    if (!a || !l) {
        api_reply_error(r, 500, "Internal server error");
        return;
    }
    a->r = r;
    a->userdata = userdata;
    *l = (Load){a, cb};
    const char *params[2] = {api_id_str(r, id),
                             r->auth.user_id ? api_id_str(r, r->auth.user_id) : NULL};
    int e = db_query(r->api->db, &statements[S_LOAD], params, on_loaded, l);
    if (e < 0)
        api_reply_busy(r, e, "loading server access");
}

uint64_t api_access_channel(const ApiServerAccess *a, const char *overwrites) {
    PermOverwrite ow[ACCESS_OVERWRITES_MAX];
    int n = perm_parse_overwrites(overwrites, ow, ACCESS_OVERWRITES_MAX);
    /* Unreadable overwrites must not widen access: fall back to nothing but what the owner
     * and administrators hold regardless. */
    if (n < 0)
        return a->permissions & PERM_ADMINISTRATOR ? PERM_ALL : 0;
    return perm_compute(&a->ctx, ow, (size_t)n);
}

bool api_access_require(ApiServerAccess *a, uint64_t perms, uint64_t need) {
    if ((perms & need) == need)
        return true;
    api_reply_error(a->r, a->r->auth.user_id ? 403 : 401,
                    a->r->auth.user_id ? "Missing permissions" : "Not authenticated");
    return false;
}
