/* api-auth: access and refresh tokens: issuing, verifying bearer headers, hashing refresh tokens.
 */
#include "api-auth.h"

#include "api-events.h"

#include <gnutls/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "api-server.h"
#include "hype-base64.h"
#include "hype-id.h"
#include "hype-json.h"
#include "hype-jwt.h"
#include "hype-time.h"

#define JTI_BYTES 16

static const char *secret(Api *api, bool refresh) {
    return refresh ? api->cfg->jwt_refresh_secret : api->cfg->jwt_access_secret;
}

static json_object *claims_new(const ApiTokenSubject *s, const char *typ, int64_t now_s,
                               int64_t ttl_s) {
    char uid[ID_STRING_MAX], sid[ID_STRING_MAX];
    json_object *c = json_object_new_object();
    id_to_string(s->user_id, uid);
    id_to_string(s->session_id, sid);
    json_object_object_add(c, "sub", json_object_new_string(uid));
    json_object_object_add(c, "userId", json_object_new_string(uid));
    json_object_object_add(c, "username", json_object_new_string(s->username));
    json_object_object_add(c, "email", json_new_string_or_null(s->email));
    json_object_object_add(c, "sid", json_object_new_string(sid));
    json_object_object_add(c, "typ", json_object_new_string(typ));
    json_object_object_add(c, "iat", json_object_new_int64(now_s));
    json_object_object_add(c, "exp", json_object_new_int64(now_s + ttl_s));
    return c;
}

static int sign(Api *api, Arena *arena, json_object *claims, bool refresh, char **ret) {
    const char *key = secret(api, refresh);
    char *token = NULL;
    int r = jwt_sign(key, strlen(key), claims, &token);
    json_object_put(claims);
    if (r < 0)
        return r;
    *ret = arena_strdup(arena, token);
    free(token);
    return *ret ? 0 : -ENOMEM;
}

int api_token_access(Api *api, Arena *arena, const ApiTokenSubject *s, char **ret) {
    int64_t now_s = time_wall_ms() / 1000;
    json_object *c =
        claims_new(s, "access", now_s, (int64_t)(api->cfg->access_token_ttl_ms / 1000));
    return sign(api, arena, c, false, ret);
}

int api_tokens_issue(Api *api, Arena *arena, const ApiTokenSubject *s, ApiTokens *ret) {
    uint8_t raw[JTI_BYTES];
    char jti[BASE64URL_ENCODED_LEN(JTI_BYTES) + 1];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -EIO;
    base64url_encode(jti, raw, sizeof(raw));

    int64_t now_s = time_wall_ms() / 1000;
    json_object *c =
        claims_new(s, "refresh", now_s, (int64_t)(api->cfg->refresh_token_ttl_ms / 1000));
    json_object_object_add(c, "jti", json_object_new_string(jti));
    int r = sign(api, arena, c, true, &ret->refresh);
    if (r < 0)
        return r;
    api_token_hash(ret->refresh, ret->refresh_hash);
    return api_token_access(api, arena, s, &ret->access);
}

void api_token_hash(const char *token, char out[TOKEN_HASH_HEX]) {
    uint8_t digest[32];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, token, strlen(token), digest);
    for (size_t i = 0; i < sizeof(digest); i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* Reads the claims both token kinds share; -EBADMSG when one is missing or malformed. */
static int claims_read(json_object *c, const char *typ, uint64_t *user_id, uint64_t *session_id) {
    const char *t = json_object_get_string(json_get(c, "typ"));
    const char *sub = json_object_get_string(json_get(c, "sub"));
    const char *sid = json_object_get_string(json_get(c, "sid"));
    if (!t || strcmp(t, typ) != 0 || !sub || !sid)
        return JWT_MALFORMED;
    if (id_parse(sub, user_id) < 0 || id_parse(sid, session_id) < 0)
        return JWT_MALFORMED;
    return 0;
}

int api_refresh_verify(Api *api, Arena *arena, const char *token, ApiRefreshClaims *ret) {
    const char *key = secret(api, true);
    json_object *c = NULL;
    int r = jwt_verify(key, strlen(key), token, time_wall_ms() / 1000, &c);
    if (r < 0)
        return r;
    r = claims_read(c, "refresh", &ret->user_id, &ret->session_id);
    if (r == 0) {
        const char *u = json_object_get_string(json_get(c, "username"));
        const char *e = json_object_get_string(json_get(c, "email"));
        ret->username = arena_strdup(arena, u ? u : "");
        ret->email = e ? arena_strdup(arena, e) : NULL;
    }
    json_object_put(c);
    return r;
}

int api_auth_verify_bearer(Api *api, const char *header, ApiAuth *ret) {
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return -ENOKEY;
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    const char *key = secret(api, false);
    json_object *c = NULL;
    int64_t now_ms = time_wall_ms();
    int r = jwt_verify(key, strlen(key), token, now_ms / 1000, &c);
    if (r < 0)
        return r;
    ApiAuth a = {0};
    r = claims_read(c, "access", &a.user_id, &a.session_id);
    const char *username = json_object_get_string(json_get(c, "username"));
    snprintf(a.username, sizeof(a.username), "%s", username ? username : "");
    json_object_put(c);
    if (r < 0)
        return r;
    if (revocations_contains(api->revoked, a.session_id, now_ms))
        return -EKEYREVOKED;
    *ret = a;
    return 0;
}

const char *api_auth_error_message(int error) {
    switch (error) {
    case -ENOKEY: return "Not authenticated";
    case JWT_EXPIRED: return "Token expired";
    case -EKEYREVOKED: return "Session has been revoked";
    default: return "Invalid token";
    }
}

void api_auth_revoke(Api *api, uint64_t user_id, uint64_t session_id) {
    int64_t now = time_wall_ms();
    revocations_add(api->revoked, session_id, now + (int64_t)api->cfg->access_token_ttl_ms, now);
    char sid[ID_STRING_MAX];
    json_object *data = json_object_new_object();
    json_object_object_add(data, "sessionId",
                           json_object_new_string(id_to_string(session_id, sid)));
    api_publish(api, HYPE__API_SIGNAL__EVENT_KIND__EVENT_SESSION_REVOKED,
                HYPE__API_SIGNAL__EVENT__TARGET_KIND__TARGET_USER, &user_id, 1, data, false);
    json_object_put(data);
}

void api_auth_revoke_list(Api *api, uint64_t user_id, const char *ids) {
    for (const char *p = ids; p && *p;) {
        api_auth_revoke(api, user_id, strtoull(p, NULL, 10));
        p += strcspn(p, ",");
        p += *p == ',';
    }
}
