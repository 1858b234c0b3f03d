/* api-routes-meta: GET /health (liveness and database reachability) and GET /api (API info). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-metrics.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "hype-json.h"
#include "hype-time.h"

enum {
    S_PING,
    S__COUNT,
};

static const DbStatement statements[] = {
    [S_PING] = {"meta_ping", "SELECT 1", 0},
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

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
                           json_object_new_int64((time_wall_ms() - r->api->started_ms) / 1000));
    json_object_object_add(data, "timestamp", json_new_time_ms(time_wall_ms()));
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

/* ---- OpenAPI, generated from the route table the router dispatches on ---- */

static const char *json_type_of(ValidateType t) {
    switch (t) {
    case VALIDATE_INT: return "integer";
    case VALIDATE_BOOL: return "boolean";
    case VALIDATE_OBJECTS: return "array";
    case VALIDATE_STRING:
    case VALIDATE_ENUM:
    default: return "string";
    }
}

static json_object *schema_json(const ValidateSchema *vs);

static json_object *field_json(const ValidateField *f) {
    json_object *p = json_object_new_object();
    json_object_object_add(p, "type", json_object_new_string(json_type_of(f->type)));
    if (f->flags & VALIDATE_NULLABLE)
        json_object_object_add(p, "nullable", json_object_new_boolean(1));
    bool bounded = f->min || f->max;
    if (f->type == VALIDATE_STRING && f->min)
        json_object_object_add(p, "minLength", json_object_new_int64(f->min));
    if (f->type == VALIDATE_STRING && f->max)
        json_object_object_add(p, "maxLength", json_object_new_int64(f->max));
    if (f->type == VALIDATE_INT && bounded) {
        json_object_object_add(p, "minimum", json_object_new_int64(f->min));
        json_object_object_add(p, "maximum", json_object_new_int64(f->max));
    }
    if (f->type == VALIDATE_OBJECTS) {
        json_object_object_add(p, "items", schema_json(f->items));
        if (f->max)
            json_object_object_add(p, "maxItems", json_object_new_int64(f->max));
    }
    static const char *const formats[] = {[VALIDATE_EMAIL] = "email",
                                          [VALIDATE_URL] = "uri",
                                          [VALIDATE_DATETIME] = "date-time",
                                          [VALIDATE_ID] = "snowflake"};
    if (f->format < sizeof(formats) / sizeof(formats[0]) && formats[f->format])
        json_object_object_add(p, "format", json_object_new_string(formats[f->format]));
    if (f->format == VALIDATE_USERNAME)
        json_object_object_add(p, "pattern", json_object_new_string("^[a-zA-Z0-9_-]+$"));
    if (f->options) {
        json_object *e = json_object_new_array();
        for (size_t i = 0; f->options[i]; i++)
            json_object_array_add(e, json_object_new_string(f->options[i]));
        json_object_object_add(p, "enum", e);
    }
    return p;
}

static json_object *schema_json(const ValidateSchema *vs) {
    json_object *s = json_object_new_object(), *props = json_object_new_object(),
                *required = json_object_new_array();
    json_object_object_add(s, "type", json_object_new_string("object"));
    for (size_t i = 0; i < vs->n_fields; i++) {
        json_object_object_add(props, vs->fields[i].name, field_json(&vs->fields[i]));
        if (vs->fields[i].flags & VALIDATE_REQUIRED)
            json_object_array_add(required, json_object_new_string(vs->fields[i].name));
    }
    json_object_object_add(s, "properties", props);
    if (json_object_array_length(required))
        json_object_object_add(s, "required", required);
    else
        json_object_put(required);
    return s;
}

/* "/api/users/:id" -> "/api/users/{id}", and the path parameters it declares. */
static char *openapi_path(const char *path, json_object *params) {
    char *out = malloc(strlen(path) * 2 + 1), *o = out;
    for (const char *p = path; out && *p;) {
        if (*p == ':' && p > path && p[-1] == '/') {
            size_t n = strcspn(p + 1, "/");
            json_object *param = json_object_new_object(), *schema = json_object_new_object();
            json_object_object_add(param, "name", json_object_new_string_len(p + 1, (int)n));
            json_object_object_add(param, "in", json_object_new_string("path"));
            json_object_object_add(param, "required", json_object_new_boolean(1));
            json_object_object_add(schema, "type", json_object_new_string("string"));
            json_object_object_add(param, "schema", schema);
            json_object_array_add(params, param);
            o += sprintf(o, "{%.*s}", (int)n, p + 1);
            p += n + 1;
        } else
            *o++ = *p++;
    }
    if (out)
        *o = '\0';
    return out;
}

static json_object *operation_json(const ApiRoute *rt, json_object *params) {
    json_object *op = json_object_new_object(), *responses = json_object_new_object();
    json_object_object_add(op, "summary", json_object_new_string(rt->summary));
    json_object_object_add(op, "parameters", params);
    if (rt->flags & ROUTE_AUTH) {
        json_object *sec = json_object_new_array(), *req = json_object_new_object();
        json_object_object_add(req, "bearerAuth", json_object_new_array());
        json_object_array_add(sec, req);
        json_object_object_add(op, "security", sec);
    }
    if (rt->body) {
        json_object *body = json_object_new_object(), *content = json_object_new_object(),
                    *media = json_object_new_object();
        json_object_object_add(media, "schema", schema_json(rt->body));
        json_object_object_add(content, "application/json", media);
        json_object_object_add(body, "content", content);
        json_object_object_add(body, "required", json_object_new_boolean(1));
        json_object_object_add(op, "requestBody", body);
    }
    static const char *const codes[][2] = {
        {"200", "Success: {success: true, data}"},
        {"400", "Validation failed, with details"},
        {"401", "Not authenticated"},
        {"403", "Forbidden"},
        {"404", "Not found"},
        {"429", "Too many requests"},
        {"500", "Internal server error"},
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        json_object *resp = json_object_new_object();
        json_object_object_add(resp, "description", json_object_new_string(codes[i][1]));
        json_object_object_add(responses, codes[i][0], resp);
    }
    json_object_object_add(op, "responses", responses);
    return op;
}

static json_object *openapi_document(void) {
    json_object *doc = json_object_new_object(), *info = json_object_new_object(),
                *paths = json_object_new_object(), *components = json_object_new_object(),
                *schemes = json_object_new_object(), *bearer = json_object_new_object();
    json_object_object_add(doc, "openapi", json_object_new_string("3.0.3"));
    json_object_object_add(info, "title", json_object_new_string("Hype API"));
    json_object_object_add(info, "version", json_object_new_string(HYPE_VERSION));
    json_object_object_add(doc, "info", info);
    for (size_t i = 0; i < api_modules_count; i++)
        for (size_t j = 0; j < api_modules[i]->n_routes; j++) {
            const ApiRoute *rt = &api_modules[i]->routes[j];
            json_object *params = json_object_new_array();
            char *path = openapi_path(rt->path, params);
            json_object *item = json_get(paths, path);
            if (!item) {
                item = json_object_new_object();
                json_object_object_add(paths, path, item);
            }
            char method[16];
            snprintf(method, sizeof(method), "%s", http_method_name(rt->method));
            for (char *c = method; *c; c++)
                *c = (char)(*c - 'A' + 'a');
            json_object_object_add(item, method, operation_json(rt, params));
            free(path);
        }
    json_object_object_add(doc, "paths", paths);
    json_object_object_add(bearer, "type", json_object_new_string("http"));
    json_object_object_add(bearer, "scheme", json_object_new_string("bearer"));
    json_object_object_add(bearer, "bearerFormat", json_object_new_string("JWT"));
    json_object_object_add(schemes, "bearerAuth", bearer);
    json_object_object_add(components, "securitySchemes", schemes);
    json_object_object_add(doc, "components", components);
    return doc;
}

static void handle_docs(ApiRequest *r) {
    /* The table is static: build once, serve the same text afterwards. */
    static json_object *doc;
    if (!doc)
        doc = openapi_document();
    api_reply_json(r, 200, json_object_get(doc));
}

static void handle_metrics(ApiRequest *r) {
    char *text = NULL;
    size_t len = 0;
    if (api_metrics_render(r->api, &text, &len) < 0) {
        api_reply_error(r, 500, "Internal server error");
        return;
    }
    api_reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
}

static const ApiRoute routes[] = {
    {HTTP_GET, "/health", handle_health, ROUTE_NO_LIMIT, NULL,
     "Liveness and database reachability"},
    {HTTP_GET, "/api", handle_info, 0, NULL, "API name, version and endpoints"},
    {HTTP_GET, "/api-docs", handle_docs, 0, NULL, "OpenAPI 3 document of every route"},
    {HTTP_GET, "/metrics", handle_metrics, ROUTE_NO_LIMIT, NULL,
     "Prometheus metrics: requests and latency by route and status, pool gauges"},
};

const ApiModule api_module_meta = {
    .name = "meta",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};
