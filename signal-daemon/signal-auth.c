/* signal-auth: checks clients' access tokens, and signs the short-lived ones hype-signal acts
 * with when it relays a client's action to hype-api. */
#include "signal-auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-id.h"
#include "hype-json.h"
#include "hype-jwt.h"

#define CALL_TOKEN_TTL_S 60

int auth_verify_access(const char *secret, const char *token, int64_t now_s, Identity *ret) {
    json_object *c = NULL;
    int r = jwt_verify(secret, strlen(secret), token, now_s, &c);
    if (r < 0)
        return r;
    const char *typ = json_object_get_string(json_get(c, "typ"));
    const char *sub = json_object_get_string(json_get(c, "sub"));
    const char *sid = json_object_get_string(json_get(c, "sid"));
    const char *username = json_object_get_string(json_get(c, "username"));
    const char *email = json_object_get_string(json_get(c, "email"));
    Identity id = {0};
    if (!typ || strcmp(typ, "access") != 0 || !sub || !sid || id_parse(sub, &id.user_id) < 0 ||
        id_parse(sid, &id.session_id) < 0)
        r = JWT_MALFORMED;
    snprintf(id.username, sizeof(id.username), "%s", username ? username : "");
    snprintf(id.email, sizeof(id.email), "%s", email ? email : "");
    json_object_put(c);
    if (r == 0)
        *ret = id;
    return r;
}

char *auth_bearer_for(const char *secret, const Identity *id, int64_t now_s) {
    char uid[ID_STRING_MAX], sid[ID_STRING_MAX];
    id_to_string(id->user_id, uid);
    id_to_string(id->session_id, sid);
    json_object *c = json_object_new_object();
    json_object_object_add(c, "sub", json_object_new_string(uid));
    json_object_object_add(c, "userId", json_object_new_string(uid));
    json_object_object_add(c, "username", json_object_new_string(id->username));
    json_object_object_add(c, "email", id->email[0] ? json_object_new_string(id->email) : NULL);
    json_object_object_add(c, "sid", json_object_new_string(sid));
    json_object_object_add(c, "typ", json_object_new_string("access"));
    json_object_object_add(c, "iat", json_object_new_int64(now_s));
    json_object_object_add(c, "exp", json_object_new_int64(now_s + CALL_TOKEN_TTL_S));
    char *token = NULL;
    int r = jwt_sign(secret, strlen(secret), c, &token);
    json_object_put(c);
    if (r < 0)
        return NULL;
    char *bearer = NULL;
    if (asprintf(&bearer, "Bearer %s", token) < 0)
        bearer = NULL;
    free(token);
    return bearer;
}

const char *auth_error_message(int error) {
    switch (error) {
    case JWT_EXPIRED: return "Token expired";
    case -ENOKEY: return "Authentication required";
    default: return "Invalid token";
    }
}
