/* api-routes-messages: /api/messages (seeds 000 and 001): history by offset, page or cursor, send,
 * edit, delete, search, reactions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-events.h"
#include "api-access.h"
#include "api-page.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-id.h"
#include "hype-json.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 100
#define ATTACHMENTS_MAX 10

/* clang-format off */
/* A live message "m" and its author "u"; nested arrays are aggregated by PostgreSQL. */
#define MESSAGE_BASE_COLUMNS                                                                       \
    "m.id AS id, m.content AS content, m.edited AS edited, m.author_id AS author_id, "             \
    "m.channel_id AS channel_id, u.username AS username, u.display_name AS display_name, "         \
    "u.avatar_url AS avatar_url, u.status AS status, "                                             \
    "floor(extract(epoch FROM m.created_at) * 1000)::int8 AS created, "                            \
    "floor(extract(epoch FROM m.updated_at) * 1000)::int8 AS updated"
#define MESSAGE_REACTIONS_SQL                                                                      \
    "(SELECT json_agg(json_build_object('id', r.id::text, 'emoji', r.emoji, 'user',"               \
    " json_build_object('id', r.user_id::text, 'username', ru.username)) ORDER BY r.id)"           \
    " FROM message_reactions r JOIN users ru ON ru.id = r.user_id WHERE r.message_id = m.id)"
#define MESSAGE_ATTACHMENTS_FROM(table)                                                            \
    "(SELECT json_agg(json_build_object('id', a.id::text, 'filename', a.filename, 'url', a.url,"   \
    " 'size', a.size, 'mimeType', a.mime_type) ORDER BY a.position) FROM " table                   \
    " WHERE a.message_id = m.id)"
#define MESSAGE_COLUMNS                                                                            \
    MESSAGE_BASE_COLUMNS                                                                           \
        ", " MESSAGE_REACTIONS_SQL                                                                 \
        " AS reactions, " MESSAGE_ATTACHMENTS_FROM("message_attachments a") " AS attachments"
#define MESSAGE_FROM " FROM messages m LEFT JOIN users u ON u.id = m.author_id"
/* Lists return one row even when empty, so the channel's total is always there (column 0). */
#define LIST_SQL(where, order, inner_order)                                                        \
    "SELECT c.message_count, x.* FROM channels c LEFT JOIN LATERAL (SELECT " MESSAGE_COLUMNS       \
        MESSAGE_FROM " WHERE m.channel_id = c.id AND m.deleted_at IS NULL" where                   \
    " ORDER BY m.id " inner_order " LIMIT $2" order ") x ON true WHERE c.id = $1 ORDER BY x.id"
/* clang-format on */

enum {
    S_LIST_OFFSET,
    S_LIST_BEFORE,
    S_LIST_AFTER,
    S_GET,
    S_CREATE,
    S_UPDATE,
    S_DELETE,
    S_SEARCH,
    S_REACT_ADD,
    S_REACT_REMOVE,
    S__COUNT,
};

static const DbStatement statements[] = {
    /* Offsets count back from the newest message; each page reads oldest first. */
    [S_LIST_OFFSET] = {"messages_list_offset", LIST_SQL("", " OFFSET $3", "DESC"), 3},
    [S_LIST_BEFORE] = {"messages_list_before", LIST_SQL(" AND m.id < $3", "", "DESC"), 3},
    [S_LIST_AFTER] = {"messages_list_after", LIST_SQL(" AND m.id > $3", "", "ASC"), 3},
    [S_GET] = {"messages_get",
               "SELECT 0, " MESSAGE_COLUMNS MESSAGE_FROM
               " WHERE m.id = $1 AND m.deleted_at IS NULL",
               1},
    /* The message and its attachments ($5: a JSON array made by us, ids included) at once. */
    [S_CREATE] = {"messages_create",
                  "WITH m AS ("
                  "  INSERT INTO messages (id, channel_id, author_id, content)"
                  "  VALUES ($1, $2, $3, $4) RETURNING *"
                  "), a AS ("
                  "  INSERT INTO message_attachments (id, message_id, position, filename, url,"
                  "                                   size, mime_type)"
                  "  SELECT (x->>'id')::bigint, m.id, (x->>'position')::smallint, x->>'filename',"
                  "         x->>'url', (x->>'size')::bigint, x->>'mimeType'"
                  "  FROM m, json_array_elements($5::json) x RETURNING *"
                  ") SELECT 0, " MESSAGE_BASE_COLUMNS ", NULL::json, " MESSAGE_ATTACHMENTS_FROM(
                      "a") " FROM m LEFT JOIN users u ON u.id = m.author_id",
                  5},
    [S_UPDATE] = {"messages_update",
                  "WITH m AS ("
                  "  UPDATE messages SET content = $2, edited = true, edited_at = now(),"
                  "         updated_at = now()"
                  "  WHERE id = $1 AND deleted_at IS NULL RETURNING *"
                  ") SELECT 0, " MESSAGE_COLUMNS " FROM m LEFT JOIN users u ON u.id = m.author_id",
                  2},
    /* A moderator deleting someone else's message leaves an audit row. */
    [S_DELETE] =
        {"messages_delete",
         "WITH changed AS (UPDATE messages SET deleted_at = now(), updated_at = now()"
         "   WHERE id = $1 AND deleted_at IS NULL RETURNING id, author_id, channel_id)"
         " INSERT INTO audit_logs (id, actor_id, action, target_type, target_id, details)"
         " SELECT $3, $2, 'message.delete', 'message', id,"
         "   json_build_object('channelId', channel_id::text, 'authorId', author_id::text)::jsonb"
         " FROM changed WHERE author_id IS DISTINCT FROM $2",
         3},
    /* Ranked full-text search over the GIN index; ties go to the newer message. */
    [S_SEARCH] = {"messages_search",
                  "SELECT count(*) OVER (), " MESSAGE_COLUMNS MESSAGE_FROM
                  ", websearch_to_tsquery('simple', $2) q"
                  " WHERE m.channel_id = $1 AND m.deleted_at IS NULL AND m.search @@ q"
                  " ORDER BY ts_rank(m.search, q) DESC, m.id DESC LIMIT $3 OFFSET $4",
                  4},
    [S_REACT_ADD] = {"messages_react_add",
                     "INSERT INTO message_reactions (id, message_id, user_id, emoji)"
                     " VALUES ($1, $2, $3, $4) ON CONFLICT (message_id, user_id, emoji) DO NOTHING",
                     4},
    [S_REACT_REMOVE] = {"messages_react_remove",
                        "DELETE FROM message_reactions"
                        " WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
                        3},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

/* ---- the message resource ---- */

static json_object *array_or_empty(const char *json_text) {
    json_object *a = json_text ? json_tokener_parse(json_text) : NULL;
    return a ? a : json_object_new_array();
}

/* The message at row i whose columns start at col. */
static json_object *message_json(const DbResult *res, int i, int col) {
    json_object *m = json_object_new_object();
    const char *author_id = db_value(res, i, col + 3);
    bool edited = db_value(res, i, col + 2)[0] == 't';
    json_object_object_add(m, "id", json_new_string_or_null(db_value(res, i, col)));
    json_object_object_add(m, "content", json_new_string_or_null(db_value(res, i, col + 1)));
    json_object_object_add(m, "edited", json_object_new_boolean(edited));
    json_object_object_add(m, "isEdited", json_object_new_boolean(edited)); /* seed 001 */
    json_object_object_add(m, "authorId", json_new_string_or_null(author_id));
    json_object_object_add(m, "userId", json_new_string_or_null(author_id)); /* seed 001 */
    json_object_object_add(m, "channelId", json_new_string_or_null(db_value(res, i, col + 4)));
    json_object *author = NULL;
    if (author_id) { /* NULL once the author deleted the account */
        author = json_object_new_object();
        json_object_object_add(author, "id", json_new_string_or_null(author_id));
        json_object_object_add(author, "username",
                               json_new_string_or_null(db_value(res, i, col + 5)));
        json_object_object_add(author, "displayName",
                               json_new_string_or_null(db_value(res, i, col + 6)));
        json_object_object_add(author, "avatarUrl",
                               json_new_string_or_null(db_value(res, i, col + 7)));
        json_object_object_add(author, "status",
                               json_new_string_or_null(db_value(res, i, col + 8)));
    }
    json_object_object_add(m, "author", author);
    json_object_object_add(m, "reactions", array_or_empty(db_value(res, i, col + 11)));
    json_object_object_add(m, "attachments", array_or_empty(db_value(res, i, col + 12)));
    json_object_object_add(m, "createdAt", json_new_time_ms(atoll(db_value(res, i, col + 9))));
    json_object_object_add(m, "updatedAt", json_new_time_ms(atoll(db_value(res, i, col + 10))));
    return m;
}

/* What a caller does to a channel's messages; the rule for each is in needs[] below. */
typedef enum Action {
    ACT_READ,
    ACT_SEND,
    ACT_EDIT, /* one's own message */
    ACT_DELETE_OWN,
    ACT_DELETE_ANY, /* someone else's */
    ACT_REACT,
    ACT_UNREACT, /* one's own reaction */
    ACT__COUNT,
} Action;

/* Every action needs current membership and these permissions in the channel (after its
 * overwrites), checked now rather than when the message was written: a kicked author, or one
 * who lost the channel, no longer edits, deletes or reacts there. */
static const uint64_t needs[] = {
    [ACT_READ] = PERM_VIEW_CHANNEL | PERM_READ_MESSAGE_HISTORY,
    [ACT_SEND] = PERM_VIEW_CHANNEL | PERM_SEND_MESSAGES,
    [ACT_EDIT] = PERM_VIEW_CHANNEL | PERM_SEND_MESSAGES,
    [ACT_DELETE_OWN] = PERM_VIEW_CHANNEL,
    [ACT_DELETE_ANY] = PERM_VIEW_CHANNEL | PERM_MANAGE_MESSAGES,
    [ACT_REACT] = PERM_VIEW_CHANNEL | PERM_READ_MESSAGE_HISTORY | PERM_ADD_REACTIONS,
    [ACT_UNREACT] = PERM_VIEW_CHANNEL,
};
_Static_assert(sizeof(needs) / sizeof(needs[0]) == ACT__COUNT, "one rule per action");

static bool holds(const ApiServerAccess *a, Action act) {
    return (a->channel_permissions & needs[act]) == needs[act];
}

/* Whether the caller may do act in the (text) channel loaded into a; answers 401/403/400 else. */
static bool may(ApiServerAccess *a, Action act) {
    if (!api_access_require_member(a) || !api_access_require(a, a->channel_permissions, needs[act]))
        return false;
    if (strcmp(a->channel_type, "VOICE") == 0) {
        api_reply_error(a->r, 400, "Channel is not a text channel");
        return false;
    }
    return true;
}

static void handle_react(ApiRequest *r);

/* The live event a successful reply of this route is, or EVENT_UNSPECIFIED for reads. */
static Hype__ApiSignal__EventKind event_kind(const ApiRequest *r) {
    if (r->route->handler == handle_react)
        return HYPE__API_SIGNAL__EVENT_KIND__EVENT_MESSAGE_REACTION;
    if (r->route->method == HTTP_POST)
        return HYPE__API_SIGNAL__EVENT_KIND__EVENT_MESSAGE;
    return r->route->method == HTTP_PUT ? HYPE__API_SIGNAL__EVENT_KIND__EVENT_MESSAGE_UPDATED
                                        : HYPE__API_SIGNAL__EVENT_KIND__EVENT_UNSPECIFIED;
}

static void on_one(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (!api_reply_one_row(r, res, "reading a message", 404, "Message not found"))
        return;
    json_object *data = message_json(res, 0, 1);
    Hype__ApiSignal__EventKind kind = event_kind(r);
    if (kind)
        api_publish_by_field(r->api, kind, HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_CHANNEL,
                             "channelId", data, false);
    api_reply_data(r, r->route->method == HTTP_POST && !r->params[0] ? 201 : 200, data);
}

static void query_one(ApiRequest *r, int stmt, const char *const *params, const char *what) {
    api_db_query(r, &statements[stmt], params, on_one, r, what);
}

/* ---- list ---- */

typedef struct List {
    ApiPage page;
    const char *before, *after;
} List;

/* Reads limit, and one of offset, page, before, after; answers 400 itself. */
static List *list_params(ApiRequest *r, json_object **details) {
    List *l = arena_zalloc(r->arena, sizeof(*l));
    if (!l)
        return NULL;
    int e = api_page_read(r, PAGE_DEFAULT, PAGE_MAX, API_PAGE_OFFSET | API_PAGE_NUMBER, &l->page,
                          details);
    l->before = api_query(r, "before");
    l->after = api_query(r, "after");
    if (l->before && !id_is_valid_string(l->before))
        validate_add_custom(details, "before", "Expected a message id");
    if (l->after && !id_is_valid_string(l->after))
        validate_add_custom(details, "after", "Expected a message id");
    if (!!l->before + !!l->after + !!l->page.page + !!api_query(r, "offset") > 1)
        validate_add_custom(details, "before", "Use only one of offset, page, before and after");
    return e < 0 || *details ? NULL : l;
}

static void on_list(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    List *l = a->userdata;
    if (api_reply_db_failed(a->r, res, "listing messages"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        if (db_value(res, i, 1))
            json_object_array_add(data, message_json(res, i, 1));
    /* A cursor page stands in for offset (and excludes page: list_params). */
    const char *cursor = l->before ? l->before : l->after;
    json_object *meta = api_page_meta(&l->page, res,
                                      API_META_TOTAL | (cursor ? 0 : API_META_OFFSET) |
                                          (l->page.page ? API_META_PAGES : 0));
    if (cursor)
        json_object_object_add(meta, l->before ? "before" : "after",
                               json_object_new_string(cursor));
    api_reply_list(a->r, data, meta);
}

static void on_list_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!may(a, ACT_READ))
        return;
    List *l = a->userdata;
    const char *params[3] = {api_id_str(r, a->channel_id),
                             arena_printf(r->arena, "%lld", l->page.limit),
                             l->before ? l->before : l->after};
    int stmt = l->before ? S_LIST_BEFORE : l->after ? S_LIST_AFTER : S_LIST_OFFSET;
    if (stmt == S_LIST_OFFSET)
        params[2] = arena_printf(r->arena, "%lld", l->page.offset);
    api_db_query(r, &statements[stmt], params, on_list, a, "listing messages");
}

static void handle_list(ApiRequest *r) {
    json_object *details = NULL;
    const char *channel = api_query(r, "channelId");
    if (!channel) {
        validate_add_custom(&details, "channelId", "Required");
        api_reply_details(r, 400, "channelId is required", details);
        return;
    }
    List *l = list_params(r, &details);
    if (!l) {
        api_reply_details(r, 400, "Validation failed", details);
        return;
    }
    api_access_load_channel(r, channel, on_list_access, l);
}

/* ---- get, create, edit, delete ---- */

static void on_get_access(ApiServerAccess *a) {
    if (!may(a, ACT_READ))
        return;
    const char *params[1] = {api_id_str(a->r, a->message_id)};
    query_one(a->r, S_GET, params, "reading a message");
}

static void handle_get(ApiRequest *r) {
    api_access_load_message(r, api_param(r, 0), on_get_access, NULL);
}

/* [{"id":..,"position":..,"filename":..,"url":..,"size":..,"mimeType":..}] for S_CREATE. */
static const char *attachments_param(ApiRequest *r) {
    json_object *in = json_get(r->body, "attachments"), *out = json_object_new_array();
    size_t n = in ? json_object_array_length(in) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *src = json_object_array_get_idx(in, i), *a = json_object_new_object();
        char id[ID_STRING_MAX];
        json_object_object_add(a, "id",
                               json_object_new_string(id_to_string(id_next(&r->api->ids), id)));
        json_object_object_add(a, "position", json_object_new_int((int)i));
        for (const char *const *k =
                 (const char *const[]){"filename", "url", "size", "mimeType", NULL};
             *k; k++)
            json_object_object_add(a, *k, json_object_get(json_get(src, *k)));
        json_object_array_add(out, a);
    }
    const char *text = arena_strdup(r->arena, json_serialize(out, NULL));
    json_object_put(out);
    return text;
}

static void on_create_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!may(a, ACT_SEND))
        return;
    const char *params[5] = {api_id_str(r, id_next(&r->api->ids)), api_id_str(r, a->channel_id),
                             api_id_str(r, r->auth.user_id),
                             validate_get_string(r->body, "content"), attachments_param(r)};
    query_one(r, S_CREATE, params, "creating a message");
}

static void handle_create(ApiRequest *r) {
    api_access_load_channel(r, validate_get_string(r->body, "channelId"), on_create_access, NULL);
}

static void on_update_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!may(a, ACT_EDIT))
        return;
    if (a->message_author_id != r->auth.user_id) {
        api_reply_error(r, 403, "Forbidden: You can only edit your own messages");
        return;
    }
    const char *params[2] = {api_id_str(r, a->message_id), validate_get_string(r->body, "content")};
    query_one(r, S_UPDATE, params, "editing a message");
}

static void handle_update(ApiRequest *r) {
    api_access_load_message(r, api_param(r, 0), on_update_access, NULL);
}

static void on_deleted(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (api_reply_db_failed(a->r, res, "deleting a message"))
        return;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "id", json_object_new_string(api_id_str(a->r, a->message_id)));
    json_object_object_add(data, "channelId",
                           json_object_new_string(api_id_str(a->r, a->channel_id)));
    api_publish(a->r->api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_MESSAGE_DELETED,
                HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_CHANNEL, &a->channel_id, 1, data,
                false);
    api_reply_data(a->r, 200, data);
}

static void on_delete_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    bool own = a->message_author_id == r->auth.user_id;
    if (!may(a, ACT_DELETE_OWN))
        return;
    /* Moderators (manage-messages in the channel) may delete anyone's message. */
    if (!own && !holds(a, ACT_DELETE_ANY)) {
        api_reply_error(r, 403, "Forbidden: You can only delete your own messages");
        return;
    }
    const char *params[3] = {api_id_str(r, a->message_id), api_id_str(r, r->auth.user_id),
                             api_id_str(r, id_next(&r->api->ids))};
    api_db_query(r, &statements[S_DELETE], params, on_deleted, a, "deleting a message");
}

static void handle_delete(ApiRequest *r) {
    api_access_load_message(r, api_param(r, 0), on_delete_access, NULL);
}

/* ---- search ---- */

static void on_search(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    List *l = a->userdata;
    if (api_reply_db_failed(a->r, res, "searching messages"))
        return;
    json_object *data = json_object_new_array();
    for (int i = 0; i < db_ntuples(res); i++)
        json_object_array_add(data, message_json(res, i, 1));
    api_reply_list(a->r, data,
                   api_page_meta(&l->page, res, API_META_TOTAL | API_META_OFFSET | API_META_PAGES));
}

static void on_search_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    if (!may(a, ACT_READ))
        return;
    List *l = a->userdata;
    const char *params[4] = {api_id_str(r, a->channel_id), api_query(r, "query"),
                             arena_printf(r->arena, "%lld", l->page.limit),
                             arena_printf(r->arena, "%lld", l->page.offset)};
    api_db_query(r, &statements[S_SEARCH], params, on_search, a, "searching messages");
}

static void handle_search(ApiRequest *r) {
    json_object *details = NULL;
    const char *query = api_query(r, "query"), *channel = api_query(r, "channelId");
    if (!query || !*query)
        validate_add_custom(&details, "query", "Required");
    else if (strlen(query) > 200)
        validate_add_custom(&details, "query", "String must contain at most 200 character(s)");
    if (!channel)
        validate_add_custom(&details, "channelId", "Required");
    List *l = details ? NULL : list_params(r, &details);
    if (!l) {
        api_reply_details(r, 400, "Validation failed", details);
        return;
    }
    if (l->before || l->after) {
        validate_add_custom(&details, "before", "Search pages by offset or page");
        api_reply_details(r, 400, "Validation failed", details);
        return;
    }
    api_access_load_channel(r, channel, on_search_access, l);
}

/* ---- reactions ---- */

static void on_reacted(const DbResult *res, void *userdata) {
    ApiServerAccess *a = userdata;
    if (api_reply_db_failed(a->r, res, "changing a reaction"))
        return;
    const char *params[1] = {api_id_str(a->r, a->message_id)};
    query_one(a->r, S_GET, params, "reading a message");
}

static void on_react_access(ApiServerAccess *a) {
    ApiRequest *r = a->r;
    bool adding = r->route->method == HTTP_POST;
    if (!may(a, adding ? ACT_REACT : ACT_UNREACT))
        return;
    int e;
    if (adding) {
        const char *params[4] = {api_id_str(r, id_next(&r->api->ids)), api_id_str(r, a->message_id),
                                 api_id_str(r, r->auth.user_id),
                                 validate_get_string(r->body, "emoji")};
        e = db_query(r->api->db, &statements[S_REACT_ADD], params, on_reacted, a);
    } else {
        const char *params[3] = {api_id_str(r, a->message_id), api_id_str(r, r->auth.user_id),
                                 api_param(r, 1)};
        e = db_query(r->api->db, &statements[S_REACT_REMOVE], params, on_reacted, a);
    }
    if (e < 0)
        api_reply_busy(r, e, "changing a reaction");
}

static void handle_react(ApiRequest *r) {
    api_access_load_message(r, api_param(r, 0), on_react_access, NULL);
}

/* ---- tables ---- */

/* clang-format off */
static const ValidateField attachment_fields[] = {
    {"filename", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 255, VALIDATE_ANY, NULL, NULL},
    {"url", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 2048, VALIDATE_URL, NULL, NULL},
    {"size", VALIDATE_INT, VALIDATE_REQUIRED, 0, 104857600, VALIDATE_ANY, NULL, NULL},
    {"mimeType", VALIDATE_STRING, VALIDATE_REQUIRED, 3, 255, VALIDATE_ANY, NULL, NULL},
};
static const ValidateSchema attachment_schema = VALIDATE_SCHEMA(attachment_fields);

static const ValidateField create_fields[] = {
    {"content", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 2000, VALIDATE_ANY, NULL, NULL},
    {"channelId", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 20, VALIDATE_ID, NULL, NULL},
    {"attachments", VALIDATE_OBJECTS, 0, 0, ATTACHMENTS_MAX, VALIDATE_ANY, NULL, &attachment_schema},
};
static const ValidateSchema create_schema = VALIDATE_SCHEMA(create_fields);

static const ValidateField update_fields[] = {
    {"content", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 2000, VALIDATE_ANY, NULL, NULL},
};
static const ValidateSchema update_schema = VALIDATE_SCHEMA(update_fields);

static const ValidateField reaction_fields[] = {
    {"emoji", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 64, VALIDATE_ANY, NULL, NULL},
};
static const ValidateSchema reaction_schema = VALIDATE_SCHEMA(reaction_fields);
/* clang-format on */

static const ApiRoute routes[] = {
    {HTTP_GET, "/api/messages", handle_list, ROUTE_AUTH, NULL,
     "A channel's messages: channelId, limit, and offset | page | before | after"},
    {HTTP_GET, "/api/messages/search", handle_search, ROUTE_AUTH, NULL,
     "Full-text search in a channel, ranked: query, channelId, limit, offset | page"},
    {HTTP_GET, "/api/messages/:id", handle_get, ROUTE_AUTH, NULL, "One message"},
    {HTTP_POST, "/api/messages", handle_create, ROUTE_AUTH, &create_schema,
     "Send a message (1-2000 characters, up to 10 attachments) to a text channel"},
    {HTTP_PUT, "/api/messages/:id", handle_update, ROUTE_AUTH, &update_schema,
     "Edit your message (sets edited)"},
    {HTTP_DELETE, "/api/messages/:id", handle_delete, ROUTE_AUTH, NULL,
     "Delete your message, or anyone's with manage-messages (soft delete)"},
    {HTTP_POST, "/api/messages/:id/reactions", handle_react, ROUTE_AUTH, &reaction_schema,
     "Add your reaction {emoji}"},
    {HTTP_DELETE, "/api/messages/:id/reactions/:emoji", handle_react, ROUTE_AUTH, NULL,
     "Remove your reaction"},
};

const ApiModule api_module_messages = {
    .name = "messages",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};
