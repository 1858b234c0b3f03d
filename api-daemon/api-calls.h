/* api-calls: what other modules of hype-api ask of the calls module (api-routes-calls.c). */
#pragma once

#include <stdint.h>

typedef struct Api Api;

/* a blocked b, or b blocked a: their ringing or active call, if any, ends ("blocked") and both
 * are told. Run after the block is committed; a failure is logged. */
void api_calls_end_between(Api *api, uint64_t a, uint64_t b);

/*
 * Deleting an account ($1 of the statement, when cond holds): a CTE ending its ringing or active
 * call ("account_deleted"; cancelled while ringing, ended once active) before its id is nulled in
 * the other side's history, and the column listing what ended for api_calls_publish_deleted.
 * Put the CTE among the statement's WITH clauses, before the DELETE.
 */
#define API_CALLS_END_ACCOUNT_CTE(cond)                                                            \
    " ended_calls AS (UPDATE calls SET"                                                            \
    "   status = CASE WHEN status = 'active' THEN 'ended' ELSE 'cancelled' END,"                   \
    "   ended_at = clock_timestamp(), end_reason = 'account_deleted'"                              \
    "   WHERE status IN ('ringing', 'active') AND $1 IN (caller_id, callee_id) AND " cond          \
    "   RETURNING id, caller_id, callee_id, status, ended_at),"                                    \
    " ended_lines AS (DELETE FROM call_lines WHERE call_id IN (SELECT id FROM ended_calls)),"
#define API_CALLS_ENDED_COLUMN                                                                     \
    "(SELECT string_agg(id || ':' || caller_id || ':' || callee_id || ':' || status || ':' ||"     \
    " floor(extract(epoch FROM ended_at) * 1000)::int8, ',') FROM ended_calls)"

/* Tells both users of each call API_CALLS_ENDED_COLUMN lists (NULL: none) that it ended. */
void api_calls_publish_deleted(Api *api, const char *ended);
