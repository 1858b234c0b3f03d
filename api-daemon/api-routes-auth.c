/* api-routes-auth: /auth/register, login, guest, refresh, me and logout (seed 000). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api-auth.h"
#include "api-password.h"
#include "api-reply.h"
#include "api-router.h"
#include "api-server.h"
#include "api-user.h"
#include "hype-id.h"
#include "hype-json.h"
#include "hype-jwt.h"
#include "hype-log.h"

#define USER_AGENT_MAX 512

/* ---- statements ---- */

enum {
    S_CREATE_USER,
    S_LOGIN_BY_EMAIL,
    S_LOGIN_BY_USERNAME,
    S_LOGIN_SESSION,
    S_REFRESH,
    S_LOGOUT,
    S_ME,
    S__COUNT,
};

static const DbStatement statements[] = {
    /* Creates the user and its first session in one statement, so a unique violation leaves
     * nothing behind. Used by register (password set) and guest (password and email NULL). */
    [S_CREATE_USER] =
        {
            "auth_create_user",
            "WITH u AS ("
            "  INSERT INTO users (id, username, email, password_hash, display_name, is_guest, "
            "status,"
            "                     is_online, last_seen_at)"
            "  VALUES ($1, $2, $3, $4, $5, $11, 'online', true, now()) RETURNING *"
            "), s AS ("
            "  INSERT INTO sessions (id, user_id, refresh_token_hash, user_agent, ip, expires_at)"
            "  SELECT $6, u.id, decode($7, 'hex'), $8, $9::inet, now() + make_interval(secs => "
            "$10::float8)"
            "  FROM u"
            /* Every account belongs to the default server ("Hype Community") when there is one. */
            "), m AS ("
            "  INSERT INTO server_members (server_id, user_id)"
            "  SELECT d.id, u.id FROM u, servers d WHERE d.is_default"
            ") SELECT " API_USER_COLUMNS " FROM u",
            11,
        },

    [S_LOGIN_BY_EMAIL] =
        {
            "auth_login_by_email",
            "SELECT u.id, u.username, u.email, u.password_hash, u.is_blocked FROM users u"
            " WHERE lower(u.email) = lower($1)",
            1,
        },

    [S_LOGIN_BY_USERNAME] =
        {
            "auth_login_by_username",
            "SELECT u.id, u.username, u.email, u.password_hash, u.is_blocked FROM users u "
            "WHERE lower(u.username) = lower($1)",
            1,
        },

    /* As seed 000: a login marks the user online. */
    [S_LOGIN_SESSION] =
        {
            "auth_login_session",
            "WITH s AS ("
            "  INSERT INTO sessions (id, user_id, refresh_token_hash, user_agent, ip, expires_at)"
            "  VALUES ($1, $2, decode($3, 'hex'), $4, $5::inet, now() + make_interval(secs => "
            "$6::float8))"
            "), u AS ("
            "  UPDATE users SET status = 'online', is_online = true, last_seen_at = now() WHERE id "
            "= $2"
            "  RETURNING *"
            ") SELECT " API_USER_COLUMNS " FROM u",
            6,
        },

    /*
     * Rotation and reuse detection in one statement. "rotated" succeeds only for the family's
     * current token; "reused" revokes the family when a valid but superseded token of it is shown.
     * Under concurrency the row lock serialises two presentations of one token: the second sees the
     * new hash and revokes, which is the point. Always returns one row: (reused, user
     * columns|NULL).
     */
    [S_REFRESH] =
        {
            "auth_refresh",
            "WITH rotated AS ("
            "  UPDATE sessions SET refresh_token_hash = decode($3, 'hex'), generation = generation "
            "+ 1,"
            "         last_used_at = now(), expires_at = now() + make_interval(secs => $4::float8)"
            "  WHERE id = $1 AND user_id = $5 AND refresh_token_hash = decode($2, 'hex')"
            "    AND revoked_at IS NULL AND expires_at > now()"
            "  RETURNING user_id"
            "), reused AS ("
            "  UPDATE sessions SET revoked_at = now(), revoked_reason = 'refresh_token_reuse'"
            "  WHERE id = $1 AND user_id = $5 AND revoked_at IS NULL"
            "    AND refresh_token_hash <> decode($2, 'hex') AND NOT EXISTS (SELECT 1 FROM rotated)"
            "  RETURNING id"
            ") SELECT EXISTS (SELECT 1 FROM reused), " API_USER_COLUMNS
            " FROM (SELECT 1) AS one LEFT JOIN rotated ON true LEFT JOIN users u ON u.id = "
            "rotated.user_id",
            5,
        },

    [S_LOGOUT] =
        {
            "auth_logout",
            "UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout'"
            " WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
            2,
        },

    [S_ME] =
        {
            "auth_me",
            "SELECT " API_USER_COLUMNS " FROM users u WHERE u.id = $1",
            1,
        },
};
_Static_assert(sizeof(statements) / sizeof(statements[0]) == S__COUNT, "one statement per S_ name");

/* ---- helpers ---- */

/* Per-flow state kept in the request arena between callbacks. */
typedef struct AuthFlow {
    ApiRequest *r;
    uint64_t user_id, session_id;
    const char *username, *email, *password_hash;
    bool guest;
    bool blocked;
    ApiTokens tokens;
} AuthFlow;

static AuthFlow *flow_new(ApiRequest *r) {
    AuthFlow *f = api_zalloc(r, sizeof(*f));
    if (f)
        f->r = r;
    return f;
}

static const char *ttl_seconds(ApiRequest *r) {
    return arena_printf(r->arena, "%.3f", (double)r->api->cfg->refresh_token_ttl_ms / 1000.0);
}

static const char *user_agent(ApiRequest *r) {
    const char *ua = http_request_header(r->http, "User-Agent");
    return ua ? arena_strndup(r->arena, ua, strnlen(ua, USER_AGENT_MAX)) : NULL;
}

/* {user, accessToken, refreshToken, token}: "token" lets clients of seeds 001/002, which read
 * a single JWT under that name, work unchanged. */
static void reply_session(AuthFlow *f, int status, const DbResult *res) {
    json_object *data = json_object_new_object();
    json_object_object_add(data, "user", api_user_json(res, 0, 0, true));
    json_object_object_add(data, "accessToken", json_object_new_string(f->tokens.access));
    json_object_object_add(data, "refreshToken", json_object_new_string(f->tokens.refresh));
    json_object *body = json_envelope_success(data);
    json_object_object_add(body, "token", json_object_new_string(f->tokens.access));
    api_reply_json(f->r, status, body);
}

static bool issue_tokens(AuthFlow *f) {
    ApiTokenSubject s = {f->user_id, f->session_id, f->username, f->email};
    int e = api_tokens_issue(f->r->api, f->r->arena, &s, &f->tokens);
    if (e < 0) {
        api_reply_busy(f->r, e, "signing tokens");
        return false;
    }
    return true;
}

/* ---- register and guest ---- */

static void on_user_created(const DbResult *res, void *userdata) {
    AuthFlow *f = userdata;
    if (res->error == -EIO && res->sqlstate && strcmp(res->sqlstate, "23505") == 0) {
        bool email = res->constraint && strcmp(res->constraint, "users_email_key") == 0;
        api_reply_error(f->r, 400, email ? "Email already registered" : "Username already taken");
        return;
    }
    if (api_reply_db_failed(f->r, res, "creating a user"))
        return;
    log_info("user %s registered%s", f->username, f->guest ? " as a guest" : "");
    reply_session(f, f->guest ? 200 : 201, res);
}

static void create_user(AuthFlow *f) {
    ApiRequest *r = f->r;
    f->user_id = id_next(&r->api->ids);
    f->session_id = id_next(&r->api->ids);
    if (!issue_tokens(f))
        return;
    const char *params[11] = {
        api_id_str(r, f->user_id),
        f->username,
        f->email,
        f->password_hash,
        validate_get_string(r->body, "displayName"),
        api_id_str(r, f->session_id),
        f->tokens.refresh_hash,
        user_agent(r),
        api_client_address(r),
        ttl_seconds(r),
        f->guest ? "true" : "false",
    };
    api_db_query(r, &statements[S_CREATE_USER], params, on_user_created, f, "creating a user");
}

static void on_password_hashed(int result, const char *encoded, void *userdata) {
    AuthFlow *f = userdata;
    if (result < 0) {
        api_reply_busy(f->r, result, "hashing a password");
        return;
    }
    f->password_hash = arena_strdup(f->r->arena, encoded);
    create_user(f);
}

static void handle_register(ApiRequest *r) {
    AuthFlow *f = flow_new(r);
    if (!f)
        return;
    f->username = validate_get_string(r->body, "username");
    f->email = validate_get_string(r->body, "email");
    int e = password_hash_async(r->api->work, validate_get_string(r->body, "password"),
                                on_password_hashed, f);
    if (e < 0)
        api_reply_busy(r, e, "hashing a password");
}

static void handle_guest(ApiRequest *r) {
    AuthFlow *f = flow_new(r);
    if (!f)
        return;
    f->guest = true;
    f->username = validate_get_string(r->body, "username");
    create_user(f);
}

/* ---- login ---- */

static void on_login_session(const DbResult *res, void *userdata) {
    AuthFlow *f = userdata;
    /* No row: the account vanished between the two statements. */
    if (!api_reply_one_row(f->r, res, "opening a session", 401, "Invalid credentials"))
        return;
    reply_session(f, 200, res);
}

static const char *invalid_credentials(const AuthFlow *f) {
    return f->email ? "Invalid email or password" : "Invalid username or password";
}

static void on_password_checked(int result, const char *encoded, void *userdata) {
    AuthFlow *f = userdata;
    ApiRequest *r = f->r;
    if (result == -EACCES) {
        api_reply_error(r, 401, invalid_credentials(f));
        return;
    }
    if (result < 0) {
        api_reply_busy(r, result, "verifying a password");
        return;
    }
    /* Said only to who knows the password: the block is no secret from its owner. */
    if (f->blocked) {
        api_reply_error(r, 403, "Account is blocked");
        return;
    }
    f->session_id = id_next(&r->api->ids);
    if (!issue_tokens(f))
        return;
    const char *params[6] = {
        api_id_str(r, f->session_id), api_id_str(r, f->user_id),
        f->tokens.refresh_hash,       user_agent(r),
        api_client_address(r),        ttl_seconds(r),
    };
    api_db_query(r, &statements[S_LOGIN_SESSION], params, on_login_session, f, "opening a session");
}

static void on_login_user(const DbResult *res, void *userdata) {
    AuthFlow *f = userdata;
    ApiRequest *r = f->r;
    if (api_reply_db_failed(r, res, "looking up a login"))
        return;
    const char *hash = NULL;
    if (db_ntuples(res) == 1) {
        f->user_id = api_user_id(res, 0, 0);
        f->username = arena_strdup(r->arena, db_value(res, 0, 1));
        f->email = db_value(res, 0, 2) ? arena_strdup(r->arena, db_value(res, 0, 2)) : NULL;
        hash = db_value(res, 0, 3);
        f->blocked = db_value(res, 0, 4)[0] == 't';
    }
    /* Unknown users and guests (no hash) are checked against a dummy hash, so the answer takes
     * as long as for a wrong password and does not reveal which accounts exist. */
    int e = password_verify_async(r->api->work, hash, validate_get_string(r->body, "password"),
                                  on_password_checked, f);
    if (e < 0)
        api_reply_busy(r, e, "verifying a password");
}

static void handle_login(ApiRequest *r) {
    const char *email = validate_get_string(r->body, "email");
    const char *username = validate_get_string(r->body, "username");
    if (!email && !username) {
        json_object *details = NULL;
        validate_add_custom(&details, "email", "Email or username is required");
        api_reply_details(r, 400, "Validation failed", details);
        return;
    }
    AuthFlow *f = flow_new(r);
    if (!f)
        return;
    f->email = email; /* decides the 401 wording; replaced by the stored address on success */
    const char *params[1] = {email ? email : username};
    int e = db_query(r->api->db,
                     email ? &statements[S_LOGIN_BY_EMAIL] : &statements[S_LOGIN_BY_USERNAME],
                     params, on_login_user, f);
    if (e < 0)
        api_reply_busy(r, e, "looking up a login");
}

/* ---- refresh ---- */

static void on_refreshed(const DbResult *res, void *userdata) {
    AuthFlow *f = userdata;
    ApiRequest *r = f->r;
    if (api_reply_db_failed(r, res, "rotating a refresh token"))
        return;
    bool reused = db_ntuples(res) == 1 && db_value(res, 0, 0)[0] == 't';
    if (reused) {
        api_auth_revoke(r->api, f->user_id, f->session_id);
        log_warning("refresh token reuse for session %" PRIu64 " of user %" PRIu64
                    ": session revoked",
                    f->session_id, f->user_id);
        api_reply_error(r, 401, "Refresh token reuse detected: session revoked");
        return;
    }
    if (db_ntuples(res) != 1 || !db_value(res, 0, 1)) {
        api_reply_error(r, 401, "Invalid refresh token");
        return;
    }
    /* The access token carries the name and address as they are now. */
    ApiTokenSubject s = {f->user_id, f->session_id, db_value(res, 0, 2), db_value(res, 0, 3)};
    if (api_token_access(r->api, r->arena, &s, &f->tokens.access) < 0) {
        api_reply_error(r, 500, "Internal server error");
        return;
    }
    json_object *data = json_object_new_object();
    json_object_object_add(data, "accessToken", json_object_new_string(f->tokens.access));
    json_object_object_add(data, "refreshToken", json_object_new_string(f->tokens.refresh));
    api_reply_data(r, 200, data);
}

static void handle_refresh(ApiRequest *r) {
    const char *token = validate_get_string(r->body, "refreshToken");
    ApiRefreshClaims c;
    int e = api_refresh_verify(r->api, r->arena, token, &c);
    if (e < 0) {
        api_reply_error(r, 401,
                        e == JWT_EXPIRED ? "Refresh token expired" : "Invalid refresh token");
        return;
    }
    AuthFlow *f = flow_new(r);
    if (!f)
        return;
    f->user_id = c.user_id;
    f->session_id = c.session_id;
    f->username = c.username;
    f->email = c.email;
    char old_hash[TOKEN_HASH_HEX];
    api_token_hash(token, old_hash);
    if (!issue_tokens(f))
        return;
    const char *params[5] = {api_id_str(r, f->session_id), arena_strdup(r->arena, old_hash),
                             f->tokens.refresh_hash, ttl_seconds(r), api_id_str(r, f->user_id)};
    e = db_query(r->api->db, &statements[S_REFRESH], params, on_refreshed, f);
    if (e < 0)
        api_reply_busy(r, e, "rotating a refresh token");
}

/* ---- me and logout ---- */

static void on_me(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (!api_reply_one_row(r, res, "reading the current user", 404, "User not found"))
        return;
    json_object *data = json_object_new_object();
    json_object_object_add(data, "user", api_user_json(res, 0, 0, true));
    api_reply_data(r, 200, data);
}

static void handle_me(ApiRequest *r) {
    const char *params[1] = {api_id_str(r, r->auth.user_id)};
    api_db_query(r, &statements[S_ME], params, on_me, r, "reading the current user");
}

static void on_logout(const DbResult *res, void *userdata) {
    ApiRequest *r = userdata;
    if (api_reply_db_failed(r, res, "revoking a session"))
        return;
    json_object *body = json_object_new_object();
    json_object_object_add(body, "success", json_object_new_boolean(1));
    json_object_object_add(body, "message", json_object_new_string("Logged out successfully"));
    api_reply_json(r, 200, body);
}

static void handle_logout(ApiRequest *r) {
    /* Refuse this session's access tokens at once, before the database has answered. */
    api_auth_revoke(r->api, r->auth.user_id, r->auth.session_id);
    const char *params[2] = {api_id_str(r, r->auth.session_id), api_id_str(r, r->auth.user_id)};
    api_db_query(r, &statements[S_LOGOUT], params, on_logout, r, "revoking a session");
}

/* ---- tables ---- */

static const ValidateField register_fields[] = {
    {"username", VALIDATE_STRING, VALIDATE_REQUIRED, 3, 32, VALIDATE_USERNAME, NULL, NULL},
    /* Optional, so that seed 002's clients, which register with a username only, work. */
    {"email", VALIDATE_STRING, 0, 0, 254, VALIDATE_EMAIL, NULL, NULL},
    {"password", VALIDATE_STRING, VALIDATE_REQUIRED, 8, 128, VALIDATE_ANY, NULL, NULL},
    {"displayName", VALIDATE_STRING, 0, 1, 32, VALIDATE_ANY, NULL, NULL},
};
static const ValidateSchema register_schema = VALIDATE_SCHEMA(register_fields);

static const ValidateField login_fields[] = {
    {"email", VALIDATE_STRING, 0, 0, 254, VALIDATE_EMAIL, NULL, NULL},
    {"username", VALIDATE_STRING, 0, 1, 32, VALIDATE_ANY, NULL, NULL},
    {"password", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 128, VALIDATE_ANY, NULL, NULL},
};
static const ValidateSchema login_schema = VALIDATE_SCHEMA(login_fields);

static const ValidateField guest_fields[] = {
    {"username", VALIDATE_STRING, VALIDATE_REQUIRED, 3, 32, VALIDATE_USERNAME, NULL, NULL},
};
static const ValidateSchema guest_schema = VALIDATE_SCHEMA(guest_fields);

static const ValidateField refresh_fields[] = {
    {"refreshToken", VALIDATE_STRING, VALIDATE_REQUIRED, 1, 8192, VALIDATE_ANY, NULL, NULL},
};
static const ValidateSchema refresh_schema = VALIDATE_SCHEMA(refresh_fields);

static const ApiRoute routes[] = {
    {HTTP_POST, "/auth/register", handle_register, ROUTE_LIMIT_AUTH, &register_schema,
     "Create an account and open a session"},
    {HTTP_POST, "/auth/login", handle_login, ROUTE_LIMIT_AUTH, &login_schema,
     "Open a session with email or username and password"},
    {HTTP_POST, "/auth/guest", handle_guest, ROUTE_LIMIT_AUTH, &guest_schema,
     "Create a password-less guest account and open a session"},
    {HTTP_POST, "/auth/refresh", handle_refresh, ROUTE_LIMIT_AUTH, &refresh_schema,
     "Rotate a refresh token for a new token pair"},
    {HTTP_GET, "/auth/me", handle_me, ROUTE_AUTH, NULL, "The authenticated user"},
    {HTTP_POST, "/auth/logout", handle_logout, ROUTE_AUTH, NULL, "Revoke the current session"},
};

const ApiModule api_module_auth = {
    .name = "auth",
    .routes = routes,
    .n_routes = sizeof(routes) / sizeof(routes[0]),
    .statements = statements,
    .n_statements = sizeof(statements) / sizeof(statements[0]),
};
