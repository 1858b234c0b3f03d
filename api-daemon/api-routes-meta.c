/* api-routes-meta: GET /health (liveness and database reachability) and GET /api (API info). */
#include "api-reply.h"
#include "api-server.h"
#include "hype-json.h"

enum {
    S_PING,
};

static const DbStatement statements[] = {
    [S_PING] = {"meta_ping", "SELECT 1", 0},
};

static void add_pool_stats(Api *api, json_object *data) {
    DbPoolStats st;
    db_pool_stats(api->db, &st);
    json_object *pool = json_object_new_object();
    json_object_object_add(pool, "size", json_object_new_int64(st.size));
    json_object_object_add(pool, "connected", json_object_new_int64(st.connected));
    json_object_object_add(pool, "busy", json_object_new_int64(st.busy));
    json_object_object_add(pool, "queued", json_object_new_int64((int64_t)st.queued));
    json_object_object_add(data, "databasePool", pool);
}

static void on_ping(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    bool up = res->error == 0;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "status", json_object_new_string(up ? "ok" : "degraded"));
    json_object_object_add(data, "database", json_object_new_string(up ? "up" : "down"));
    json_object_object_add(data, "version", json_object_new_string(HYPE_VERSION));
    json_object_object_add(data, "uptimeSeconds",
                           json_object_new_int64((api_now_ms() - r->api->started_ms) / 1000));
    json_object_object_add(data, "timestamp", json_new_time_ms(api_now_ms()));
    add_pool_stats(r->api, data);
    json_object *body = json_envelope_success(data);
    if (!up) {
        json_object_object_add(body, "success", json_object_new_boolean(0));
        json_object_object_add(body, "error", json_object_new_string("Database unavailable"));
    }
    api_reply_json(r, up ? 200 : 503, body);
}

static void handle_health(ApiRequest *r) {
    int e = db_query(r->api->db, &statements[S_PING], NULL, on_ping, r);
    if (e < 0) {
        DbResult busy = {.error = e};
        on_ping(&busy, r);
    }
}

static void handle_info(ApiRequest *r) {
    json_object *data = json_object_new_object();
    json_object *endpoints = json_object_new_array();
    for (size_t i = 0; i < api_modules_count; i++)
        for (size_t j = 0; j < api_modules[i]->n_routes; j++) {
            const ApiRoute *rt = &api_modules[i]->routes[j];
            json_object *e = json_object_new_object();
            json_object_object_add(e, "method",
                                   json_object_new_string(http_method_name(rt->method)));
            json_object_object_add(e, "path", json_object_new_string(rt->path));
            json_object_object_add(e, "auth", json_object_new_boolean(rt->flags & ROUTE_AUTH));
            json_object_object_add(e, "summary", json_object_new_string(rt->summary));
            json_object_array_add(endpoints, e);
        }
    json_object_object_add(data, "name", json_object_new_string("Hype API"));
    json_object_object_add(data, "version", json_object_new_string(HYPE_VERSION));
    json_object_object_add(data, "aliases",
                           json_object_new_string("/api/v1/* = /api/*, /api/auth/* = /auth/*"));
    json_object_object_add(data, "endpoints", endpoints);
    api_reply_data(r, 200, data);
}

static const ApiRoute routes[] = {
    {HTTP_GET, "/health", handle_health, ROUTE_NO_LIMIT, NULL,
     "Liveness and database reachability"},
    {HTTP_GET, "/api", handle_info, 0, NULL, "API name, version and endpoints"},
};

const ApiModule api_module_meta = {
    "meta",
    routes,
    sizeof(routes) / sizeof(routes[0]),
    statements,
    sizeof(statements) / sizeof(statements[0]),
};
