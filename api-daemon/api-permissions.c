/* api-permissions: the permission bitfield (Discord's bit positions) and the one function that
 * computes a member's permissions. */
#include "api-permissions.h"

#include <json-c/json.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static uint64_t base_permissions(const PermContext *ctx) {
    if (ctx->is_owner)
        return PERM_ALL;
    uint64_t perms = ctx->everyone_permissions;
    for (size_t i = 0; ctx->is_member && i < ctx->n_roles; i++)
        perms |= ctx->role_permissions[i];
    return perms & PERM_ADMINISTRATOR ? PERM_ALL : perms;
}

static bool has_role(const PermContext *ctx, uint64_t role_id) {
    for (size_t i = 0; i < ctx->n_roles; i++)
        if (ctx->role_ids[i] == role_id)
            return true;
    return false;
}

uint64_t perm_compute(const PermContext *ctx, const PermOverwrite *ow, size_t n) {
    uint64_t perms = base_permissions(ctx);
    if (perms & PERM_ADMINISTRATOR) /* owners too: PERM_ALL includes it */
        return PERM_ALL;
    uint64_t role_allow = 0, role_deny = 0;
    const PermOverwrite *everyone = NULL, *member = NULL;
    for (size_t i = 0; i < n; i++) {
        if (ow[i].target == PERM_TARGET_ROLE && ow[i].target_id == ctx->everyone_role_id)
            everyone = &ow[i];
        else if (ow[i].target == PERM_TARGET_ROLE && ctx->is_member &&
                 has_role(ctx, ow[i].target_id)) {
            role_allow |= ow[i].allow;
            role_deny |= ow[i].deny;
        } else if (ow[i].target == PERM_TARGET_MEMBER && ctx->is_member &&
                   ow[i].target_id == ctx->user_id)
            member = &ow[i];
    }
    if (everyone)
        perms = (perms & ~everyone->deny) | everyone->allow;
    perms = (perms & ~role_deny) | role_allow;
    if (member)
        perms = (perms & ~member->deny) | member->allow;
    return perms & PERM_ALL;
}

bool perm_everyone_holds(uint64_t everyone_role_id, uint64_t everyone_permissions,
                         const PermOverwrite *ow, size_t n, uint64_t perm) {
    PermContext everyone = {.is_member = true, /* of no role, and no user: only @everyone's */
                            .everyone_role_id = everyone_role_id,
                            .everyone_permissions = everyone_permissions};
    if ((perm_compute(&everyone, ow, n) & perm) != perm)
        return false;
    if (everyone_permissions & PERM_ADMINISTRATOR) /* overwrites do not apply to anyone */
        return true;
    for (size_t i = 0; i < n; i++)
        if ((ow[i].deny & perm) &&
            (ow[i].target != PERM_TARGET_ROLE || ow[i].target_id != everyone_role_id))
            return false;
    return true;
}

void perm_to_string(uint64_t perms, char buf[21]) {
    snprintf(buf, 21, "%" PRIu64, perms);
}

int perm_parse(const char *s, uint64_t *ret) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 20 || strspn(s, "0123456789") != n)
        return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v & ~PERM_ALL)
        return -EINVAL;
    *ret = v;
    return 0;
}

int perm_parse_overwrites(const char *text, PermOverwrite *out, size_t max) {
    size_t n = 0;
    for (const char *p = text; p && *p;) {
        char kind[8];
        unsigned long long id, allow, deny;
        int used = 0;
        if (sscanf(p, "%7[a-z]:%llu:%llu:%llu%n", kind, &id, &allow, &deny, &used) != 4)
            return -EINVAL;
        if (n == max)
            return -E2BIG;
        if (strcmp(kind, "role") == 0)
            out[n].target = PERM_TARGET_ROLE;
        else if (strcmp(kind, "member") == 0)
            out[n].target = PERM_TARGET_MEMBER;
        else
            return -EINVAL;
        out[n].target_id = id;
        out[n].allow = allow;
        out[n].deny = deny;
        n++;
        p += used;
        if (*p == ',')
            p++;
        else if (*p)
            return -EINVAL;
    }
    return (int)n;
}

int perm_parse_roles(const char *text, uint64_t *ids, uint64_t *perms, size_t max, int *top) {
    size_t n = 0;
    *top = 0;
    for (const char *p = text; p && *p;) {
        unsigned long long id, role_perms;
        int position, used = 0;
        if (sscanf(p, "%llu:%llu:%d%n", &id, &role_perms, &position, &used) != 3)
            return -EINVAL;
        if (n == max)
            return -E2BIG;
        ids[n] = id;
        perms[n++] = role_perms;
        if (position > *top)
            *top = position;
        p += used;
        if (*p == ',')
            p++;
        else if (*p)
            return -EINVAL;
    }
    return (int)n;
}

size_t perm_count_entries(const char *text) {
    if (!text || !*text)
        return 0;
    size_t n = 1;
    for (const char *p = text; (p = strchr(p, ',')); p++)
        n++;
    return n;
}

int perm_from_json(struct json_object *v, uint64_t *ret) {
    if (json_object_is_type(v, json_type_int)) {
        int64_t p = json_object_get_int64(v);
        if (p < 0 || ((uint64_t)p & ~PERM_ALL))
            return -EINVAL;
        *ret = (uint64_t)p;
        return 0;
    }
    if (!json_object_is_type(v, json_type_string))
        return -EINVAL;
    return perm_parse(json_object_get_string(v), ret);
}
