/* api-user: the user resource's SQL column list and its JSON shape (seed 000). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "api-db.h"

/* Select list for a users row aliased "u"; api_user_json reads it starting at column col. */
#define API_USER_COLUMNS                                                                           \
    "u.id, u.username, u.email, u.display_name, u.status, u.custom_status, u.avatar_url, "         \
    "u.bio, u.is_guest, floor(extract(epoch FROM u.created_at) * 1000)::int8, "                    \
    "floor(extract(epoch FROM u.updated_at) * 1000)::int8"
#define API_USER_NCOLUMNS 11

/*
 * {id, username, email, displayName, discriminator, status, customStatus, avatarUrl, avatar,
 *  bio, isGuest, createdAt, updatedAt}. email is null unless show_email: other users' addresses
 * are never exposed.
 */
json_object *api_user_json(const DbResult *r, int row, int col, bool show_email);

/* The id at column col of row, 0 when NULL. */
uint64_t api_user_id(const DbResult *r, int row, int col);
