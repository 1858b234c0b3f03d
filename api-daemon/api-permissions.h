/* api-permissions: the permission bitfield (Discord's bit positions) and the one function that
 * computes a member's permissions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PERM_CREATE_INVITE (UINT64_C(1) << 0)
#define PERM_KICK_MEMBERS (UINT64_C(1) << 1)
#define PERM_BAN_MEMBERS (UINT64_C(1) << 2)
#define PERM_ADMINISTRATOR (UINT64_C(1) << 3)
#define PERM_MANAGE_CHANNELS (UINT64_C(1) << 4)
#define PERM_MANAGE_SERVER (UINT64_C(1) << 5)
#define PERM_ADD_REACTIONS (UINT64_C(1) << 6)
#define PERM_VIEW_AUDIT_LOG (UINT64_C(1) << 7)
#define PERM_PRIORITY_SPEAKER (UINT64_C(1) << 8)
#define PERM_STREAM (UINT64_C(1) << 9)
#define PERM_VIEW_CHANNEL (UINT64_C(1) << 10)
#define PERM_SEND_MESSAGES (UINT64_C(1) << 11)
#define PERM_MANAGE_MESSAGES (UINT64_C(1) << 13)
#define PERM_EMBED_LINKS (UINT64_C(1) << 14)
#define PERM_ATTACH_FILES (UINT64_C(1) << 15)
#define PERM_READ_MESSAGE_HISTORY (UINT64_C(1) << 16)
#define PERM_MENTION_EVERYONE (UINT64_C(1) << 17)
#define PERM_CONNECT (UINT64_C(1) << 20)
#define PERM_SPEAK (UINT64_C(1) << 21)
#define PERM_MUTE_MEMBERS (UINT64_C(1) << 22)
#define PERM_DEAFEN_MEMBERS (UINT64_C(1) << 23)
#define PERM_MOVE_MEMBERS (UINT64_C(1) << 24)
#define PERM_USE_VAD (UINT64_C(1) << 25)
#define PERM_CHANGE_NICKNAME (UINT64_C(1) << 26)
#define PERM_MANAGE_NICKNAMES (UINT64_C(1) << 27)
#define PERM_MANAGE_ROLES (UINT64_C(1) << 28)

/* Every bit defined above: what owners and administrators hold. */
#define PERM_ALL                                                                                   \
    (PERM_CREATE_INVITE | PERM_KICK_MEMBERS | PERM_BAN_MEMBERS | PERM_ADMINISTRATOR |              \
     PERM_MANAGE_CHANNELS | PERM_MANAGE_SERVER | PERM_ADD_REACTIONS | PERM_VIEW_AUDIT_LOG |        \
     PERM_PRIORITY_SPEAKER | PERM_STREAM | PERM_VIEW_CHANNEL | PERM_SEND_MESSAGES |                \
     PERM_MANAGE_MESSAGES | PERM_EMBED_LINKS | PERM_ATTACH_FILES | PERM_READ_MESSAGE_HISTORY |     \
     PERM_MENTION_EVERYONE | PERM_CONNECT | PERM_SPEAK | PERM_MUTE_MEMBERS | PERM_DEAFEN_MEMBERS | \
     PERM_MOVE_MEMBERS | PERM_USE_VAD | PERM_CHANGE_NICKNAME | PERM_MANAGE_NICKNAMES |             \
     PERM_MANAGE_ROLES)

/* What a new server's @everyone role grants. */
#define PERM_EVERYONE_DEFAULT                                                                      \
    (PERM_CREATE_INVITE | PERM_ADD_REACTIONS | PERM_STREAM | PERM_VIEW_CHANNEL |                   \
     PERM_SEND_MESSAGES | PERM_EMBED_LINKS | PERM_ATTACH_FILES | PERM_READ_MESSAGE_HISTORY |       \
     PERM_CONNECT | PERM_SPEAK | PERM_USE_VAD | PERM_CHANGE_NICKNAME)

typedef enum PermTarget { PERM_TARGET_ROLE, PERM_TARGET_MEMBER } PermTarget;

typedef struct PermOverwrite {
    PermTarget target;
    uint64_t target_id; /* a role id (the @everyone role's id for the @everyone overwrite) or a user
                           id */
    uint64_t allow, deny;
} PermOverwrite;

/* Everything the computation needs about one member (or a non-member: is_member false). */
typedef struct PermContext {
    uint64_t user_id;
    bool is_owner, is_member;
    uint64_t everyone_role_id, everyone_permissions;
    const uint64_t *role_ids, *role_permissions; /* the member's roles, n_roles of each */
    size_t n_roles;
} PermContext;

/*
 * The member's permissions in the server, or, with overwrites, in a channel; Discord's order:
 * the owner holds everything; base = @everyone | the member's roles; ADMINISTRATOR holds
 * everything and ignores overwrites; then the @everyone overwrite (deny, then allow), the
 * member's roles' overwrites aggregated (deny, then allow), the member's own overwrite
 * (deny, then allow). A non-member gets @everyone's permissions with the @everyone overwrite,
 * which is what an anonymous visitor of a public server may see.
 */
uint64_t perm_compute(const PermContext *ctx, const PermOverwrite *overwrites, size_t n_overwrites);

/*
 * Whether every member of the server holds perm in a channel with these overwrites, without
 * looking at anyone's roles: @everyone holds it there (perm_compute of a member with no role) and
 * no role or member overwrite denies it. Roles only add permissions in the server, so this is
 * exact; false means some members may lack it (perm_compute tells which).
 */
bool perm_everyone_holds(uint64_t everyone_role_id, uint64_t everyone_permissions,
                         const PermOverwrite *overwrites, size_t n_overwrites, uint64_t perm);

/* Decimal string forms used on the wire ("permissions":"1024"). */
void perm_to_string(uint64_t perms, char buf[21]);
/* Strict: decimal digits only, value within PERM_ALL's bits. -EINVAL otherwise. */
int perm_parse(const char *s, uint64_t *ret);
/* A JSON number or decimal string, as clients send bitfields; the same rules. */
struct json_object;
int perm_from_json(struct json_object *v, uint64_t *ret);

/*
 * Parses overwrites as SQL aggregates them: "role:ID:ALLOW:DENY,member:ID:ALLOW:DENY" (NULL or ""
 * for none). Returns how many were stored, -EINVAL when malformed, -E2BIG beyond max.
 */
int perm_parse_overwrites(const char *text, PermOverwrite *out, size_t max);
/*
 * Parses a member's roles as SQL aggregates them: "ID:PERMISSIONS:POSITION,..." (NULL or "" for
 * none) into ids and perms (max entries: perm_count_entries' count is enough); *top gets the
 * highest position (0 with none). Returns how many, -EINVAL when malformed, -E2BIG beyond max.
 */
int perm_parse_roles(const char *text, uint64_t *ids, uint64_t *perms, size_t max, int *top);
/* How many entries such a comma-separated list holds at most (0 for NULL or ""): the size of
 * out that perm_parse_overwrites needs, however many there are. */
size_t perm_count_entries(const char *text);
