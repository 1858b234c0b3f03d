/* api-user: the user resource's SQL column list and its JSON shape (seed 000). */
#include "api-user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hype-json.h"

enum {
    C_ID,
    C_USERNAME,
    C_EMAIL,
    C_DISPLAY_NAME,
    C_STATUS,
    C_CUSTOM_STATUS,
    C_AVATAR_URL,
    C_BIO,
    C_IS_GUEST,
    C_CREATED,
    C_UPDATED,
};

static json_object *str_at(const DbResult *r, int row, int col) {
    return json_new_string_or_null(db_value(r, row, col));
}

uint64_t api_user_id(const DbResult *r, int row, int col) {
    const char *v = db_value(r, row, col);
    return v ? strtoull(v, NULL, 10) : 0;
}

json_object *api_user_json(const DbResult *r, int row, int col, bool show_email) {
    json_object *u = json_object_new_object();
    const char *username = db_value(r, row, col + C_USERNAME);
    char discriminator[5];
    /* Seed 000 defines the discriminator as the first four characters of the username (ASCII). */
    snprintf(discriminator, sizeof(discriminator), "%.4s", username ? username : "");

    json_object_object_add(u, "id", str_at(r, row, col + C_ID));
    json_object_object_add(u, "username", str_at(r, row, col + C_USERNAME));
    json_object_object_add(u, "email", show_email ? str_at(r, row, col + C_EMAIL) : NULL);
    json_object_object_add(u, "displayName", str_at(r, row, col + C_DISPLAY_NAME));
    json_object_object_add(u, "discriminator", json_object_new_string(discriminator));
    json_object_object_add(u, "status", str_at(r, row, col + C_STATUS));
    json_object_object_add(u, "customStatus", str_at(r, row, col + C_CUSTOM_STATUS));
    json_object_object_add(u, "avatarUrl", str_at(r, row, col + C_AVATAR_URL));
    json_object_object_add(u, "avatar", str_at(r, row, col + C_AVATAR_URL));
    json_object_object_add(u, "bio", str_at(r, row, col + C_BIO));
    const char *guest = db_value(r, row, col + C_IS_GUEST);
    json_object_object_add(u, "isGuest", json_object_new_boolean(guest && guest[0] == 't'));
    json_object_object_add(u, "createdAt",
                           json_new_time_ms(strtoll(db_value(r, row, col + C_CREATED), NULL, 10)));
    json_object_object_add(u, "updatedAt",
                           json_new_time_ms(strtoll(db_value(r, row, col + C_UPDATED), NULL, 10)));
    return u;
}
