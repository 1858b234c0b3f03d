/* Unit tests for api-daemon/api-permissions: Discord's order of application. */
#include "api-permissions.h"
#include "test.h"

#define EVERYONE 100
#define MOD 200
#define MUTED 300
#define USER 7

static const uint64_t role_ids[] = {MOD, MUTED};
static const uint64_t role_perms[] = {PERM_MANAGE_MESSAGES | PERM_KICK_MEMBERS, 0};

static PermContext member(size_t n_roles) {
    return (PermContext){.user_id = USER, .is_member = true, .everyone_role_id = EVERYONE,
                         .everyone_permissions = PERM_EVERYONE_DEFAULT, .role_ids = role_ids,
                         .role_permissions = role_perms, .n_roles = n_roles};
}

TEST(base_is_everyone_plus_roles) {
    PermContext c = member(0);
    ASSERT_EQ_U(perm_compute(&c, NULL, 0), PERM_EVERYONE_DEFAULT);
    c = member(1);
    uint64_t p = perm_compute(&c, NULL, 0);
    ASSERT_TRUE(p & PERM_MANAGE_MESSAGES);
    ASSERT_TRUE(p & PERM_SEND_MESSAGES);
    ASSERT_FALSE(p & PERM_ADMINISTRATOR);
}

TEST(owner_and_administrator_hold_everything) {
    PermContext c = member(0);
    c.is_owner = true;
    PermOverwrite deny_all = {PERM_TARGET_ROLE, EVERYONE, 0, PERM_ALL};
    ASSERT_EQ_U(perm_compute(&c, &deny_all, 1), PERM_ALL);
    static const uint64_t admin_perms[] = {PERM_ADMINISTRATOR};
    PermContext a = member(0);
    a.role_ids = role_ids;
    a.role_permissions = admin_perms;
    a.n_roles = 1;
    ASSERT_EQ_U(perm_compute(&a, &deny_all, 1), PERM_ALL);
}

TEST(overwrite_order) {
    PermContext c = member(2); /* MOD and MUTED */
    /* A private channel: @everyone denied VIEW; MOD allowed it back. */
    PermOverwrite ow[] = {
        {PERM_TARGET_ROLE, EVERYONE, 0, PERM_VIEW_CHANNEL},
        {PERM_TARGET_ROLE, MOD, PERM_VIEW_CHANNEL, 0},
    };
    ASSERT_TRUE(perm_compute(&c, ow, 2) & PERM_VIEW_CHANNEL);
    PermContext plain = member(0);
    ASSERT_FALSE(perm_compute(&plain, ow, 2) & PERM_VIEW_CHANNEL);
    /* Role overwrites are aggregated: an allow from one role beats a deny from another. */
    PermOverwrite agg[] = {
        {PERM_TARGET_ROLE, MUTED, 0, PERM_SEND_MESSAGES},
        {PERM_TARGET_ROLE, MOD, PERM_SEND_MESSAGES, 0},
    };
    ASSERT_TRUE(perm_compute(&c, agg, 2) & PERM_SEND_MESSAGES);
    /* The member's own overwrite comes last and wins. */
    PermOverwrite last[] = {
        {PERM_TARGET_MEMBER, USER, 0, PERM_SEND_MESSAGES},
        {PERM_TARGET_ROLE, MOD, PERM_SEND_MESSAGES, 0},
    };
    ASSERT_FALSE(perm_compute(&c, last, 2) & PERM_SEND_MESSAGES);
    /* Another member's overwrite does not apply. */
    PermOverwrite other[] = {{PERM_TARGET_MEMBER, USER + 1, 0, PERM_VIEW_CHANNEL}};
    ASSERT_TRUE(perm_compute(&c, other, 1) & PERM_VIEW_CHANNEL);
}

TEST(non_members_see_what_everyone_sees) {
    PermContext visitor = member(2);
    visitor.is_member = false;
    ASSERT_FALSE(perm_compute(&visitor, NULL, 0) & PERM_MANAGE_MESSAGES); /* roles do not count */
    PermOverwrite priv[] = {{PERM_TARGET_ROLE, EVERYONE, 0, PERM_VIEW_CHANNEL},
                            {PERM_TARGET_MEMBER, USER, PERM_VIEW_CHANNEL, 0}};
    ASSERT_FALSE(perm_compute(&visitor, priv, 2) & PERM_VIEW_CHANNEL);
}

TEST(everyone_holds_is_exact) {
    uint64_t view = PERM_VIEW_CHANNEL, base = PERM_EVERYONE_DEFAULT;
    ASSERT_TRUE(perm_everyone_holds(EVERYONE, base, NULL, 0, view));
    /* Overwrites that deny nothing, or deny something else, keep it public. */
    PermOverwrite public_ow[] = {{PERM_TARGET_ROLE, MOD, view, 0},
                                 {PERM_TARGET_MEMBER, USER, 0, PERM_SEND_MESSAGES}};
    ASSERT_TRUE(perm_everyone_holds(EVERYONE, base, public_ow, 2, view));
    /* @everyone denied, even when a role allows it back: some members lack it. */
    PermOverwrite priv[] = {{PERM_TARGET_ROLE, EVERYONE, 0, view}, {PERM_TARGET_ROLE, MOD, view, 0}};
    ASSERT_FALSE(perm_everyone_holds(EVERYONE, base, priv, 2, view));
    /* One role's or one member's deny is enough. */
    PermOverwrite role_deny[] = {{PERM_TARGET_ROLE, MUTED, 0, view}};
    ASSERT_FALSE(perm_everyone_holds(EVERYONE, base, role_deny, 1, view));
    PermOverwrite member_deny[] = {{PERM_TARGET_MEMBER, USER, 0, view}};
    ASSERT_FALSE(perm_everyone_holds(EVERYONE, base, member_deny, 1, view));
    /* @everyone without it in the server: only an @everyone allow gives it to all. */
    ASSERT_FALSE(perm_everyone_holds(EVERYONE, base & ~view, NULL, 0, view));
    PermOverwrite everyone_allow[] = {{PERM_TARGET_ROLE, EVERYONE, view, 0}};
    ASSERT_TRUE(perm_everyone_holds(EVERYONE, base & ~view, everyone_allow, 1, view));
    /* Everyone an administrator: overwrites do not apply. */
    ASSERT_TRUE(perm_everyone_holds(EVERYONE, PERM_ADMINISTRATOR, priv, 2, view));
    /* Whatever it answers, perm_compute agrees for every member it covers. */
    PermContext plain = member(0), mod = member(1);
    ASSERT_TRUE(perm_compute(&plain, public_ow, 2) & view);
    ASSERT_TRUE(perm_compute(&mod, public_ow, 2) & view);
    ASSERT_FALSE(perm_compute(&plain, priv, 2) & view);
}

TEST(strings) {
    char buf[21];
    perm_to_string(PERM_VIEW_CHANNEL | PERM_SEND_MESSAGES, buf);
    ASSERT_STREQ(buf, "3072");
    uint64_t v;
    ASSERT_EQ(perm_parse("3072", &v), 0);
    ASSERT_EQ_U(v, 3072);
    ASSERT_EQ(perm_parse("", &v), -EINVAL);
    ASSERT_EQ(perm_parse("-1", &v), -EINVAL);
    ASSERT_EQ(perm_parse("1.5", &v), -EINVAL);
    ASSERT_EQ(perm_parse("18446744073709551616", &v), -EINVAL);
    ASSERT_EQ(perm_parse("4096", &v), -EINVAL); /* bit 12 is not defined here */
}

TEST(default_everyone_matches_seed_sql) {
    /* sql/seed.sql writes this value for the default server's @everyone role. */
    ASSERT_EQ_U(PERM_EVERYONE_DEFAULT, 103927361);
}

TEST(overwrite_text) {
    PermOverwrite ow[4];
    ASSERT_EQ(perm_parse_overwrites("role:100:0:1024,member:7:2048:0", ow, 4), 2);
    ASSERT_EQ(ow[0].target, PERM_TARGET_ROLE);
    ASSERT_EQ_U(ow[0].target_id, 100);
    ASSERT_EQ_U(ow[0].deny, 1024);
    ASSERT_EQ(ow[1].target, PERM_TARGET_MEMBER);
    ASSERT_EQ_U(ow[1].allow, 2048);
    ASSERT_EQ(perm_parse_overwrites("", ow, 4), 0);
    ASSERT_EQ(perm_parse_overwrites(NULL, ow, 4), 0);
    ASSERT_EQ(perm_parse_overwrites("role:1:0", ow, 4), -EINVAL);
    ASSERT_EQ(perm_parse_overwrites("group:1:0:0", ow, 4), -EINVAL);
    ASSERT_EQ(perm_parse_overwrites("role:1:0:0,role:2:0:0", ow, 1), -E2BIG);
}

TEST(overwrite_text_sized_by_its_count) {
    ASSERT_EQ_U(perm_count_entries(NULL), 0);
    ASSERT_EQ_U(perm_count_entries(""), 0);
    ASSERT_EQ_U(perm_count_entries("role:1:0:0"), 1);
    ASSERT_EQ_U(perm_count_entries("role:1:0:0,member:2:0:0"), 2);
    /* As many as a channel may have (and more): the count sizes the array, nothing else. */
    enum { N = 600 };
    static char text[N * 32];
    static PermOverwrite ow[N];
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%smember:%d:%d:0", i ? "," : "",
                                i + 1, i == N - 1 ? 1024 : 0);
    ASSERT_EQ_U(perm_count_entries(text), N);
    ASSERT_EQ(perm_parse_overwrites(text, ow, perm_count_entries(text)), N);
    PermContext c = member(0);
    c.user_id = N;
    PermOverwrite everyone = {PERM_TARGET_ROLE, EVERYONE, 0, PERM_VIEW_CHANNEL};
    ow[0] = everyone; /* the first entry denies view to everyone, the last allows it back */
    ASSERT_TRUE(perm_compute(&c, ow, N) & PERM_VIEW_CHANNEL);
    c.user_id = USER + 1000;
    ASSERT_FALSE(perm_compute(&c, ow, N) & PERM_VIEW_CHANNEL);
}

TEST(role_text) {
    uint64_t ids[300], perms[300];
    int top = -1;
    ASSERT_EQ(perm_parse_roles(NULL, ids, perms, 0, &top), 0);
    ASSERT_EQ(top, 0);
    ASSERT_EQ(perm_parse_roles("7:1024:3,9:8:12,11:0:1", ids, perms, 3, &top), 3);
    ASSERT_EQ_U(ids[1], 9);
    ASSERT_EQ_U(perms[0], 1024);
    ASSERT_EQ(top, 12);
    ASSERT_EQ(perm_parse_roles("7:1024:3,9:8:12", ids, perms, 1, &top), -E2BIG);
    ASSERT_EQ(perm_parse_roles("7:1024", ids, perms, 3, &top), -EINVAL);
    ASSERT_EQ(perm_parse_roles("7:1024:3;9:8:12", ids, perms, 3, &top), -EINVAL);
    /* A member may hold every role of a server (250 and more): sized by the count. */
    static char text[300 * 32];
    size_t len = 0;
    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%d:%d:%d", i ? "," : "", i + 1,
                                i, i);
    ASSERT_EQ(perm_parse_roles(text, ids, perms, perm_count_entries(text), &top), 300);
    ASSERT_EQ(top, 299);
}

TEST_MAIN()
