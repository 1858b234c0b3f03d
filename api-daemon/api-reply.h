/* api-reply: the one way hype-api answers: JSON envelopes, errors with details, DB failures. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "api-db.h"
#include "api-request.h"

/* Sends body (taken) with status and ends the request. Every other helper ends here. */
void api_reply_json(ApiRequest *r, int status, json_object *body);
/* A reply without a body (204, preflights). */
void api_reply_empty(ApiRequest *r, int status);
/* Plain text (the Prometheus exposition). */
void api_reply_text(ApiRequest *r, int status, const char *content_type, const char *text,
                    size_t len);
/* {"success":true,"data":data} (data taken). */
void api_reply_data(ApiRequest *r, int status, json_object *data);
/* {"success":true,"data":data,"meta":meta} (both taken). */
void api_reply_list(ApiRequest *r, json_object *data, json_object *meta);
/* {"success":false,"error":message} */
void api_reply_error(ApiRequest *r, int status, const char *message);
/* {"success":false,"error":message,"details":details} (details taken). */
void api_reply_details(ApiRequest *r, int status, const char *message, json_object *details);

/*
 * When res failed, answers for it and returns true: 503 with Retry-After when the database is
 * unreachable or saturated, 500 (logged with SQLSTATE and context) for anything else.
 */
bool api_reply_db_failed(ApiRequest *r, const DbResult *res, const char *context);
/*
 * The prologue of a callback whose query must return exactly one row: answers as
 * api_reply_db_failed when res failed, else status with message when res has no row or several.
 * Returns true when the one row is there to read; false when r has been answered (and is gone).
 */
bool api_reply_one_row(ApiRequest *r, const DbResult *res, const char *context, int status,
                       const char *message);
/* arena_zalloc() for a request: when out of memory, answers 500 and returns NULL (r is gone). */
void *api_zalloc(ApiRequest *r, size_t size);
/* db_query() for a request: when the query cannot even be queued, answers for it (503 when
 * saturated, 500 otherwise) and cb never runs. what names the step for the log. */
void api_db_query(ApiRequest *r, const DbStatement *stmt, const char *const *params, db_callback cb,
                  void *userdata, const char *what);
/* For a failed db_query()/workpool submission (-EAGAIN: saturated, 503). */
void api_reply_busy(ApiRequest *r, int error, const char *context);
