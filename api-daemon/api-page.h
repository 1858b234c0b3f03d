/* api-page: paging of list routes: the limit, offset and page query parameters and the "meta"
 * object of the reply. */
#pragma once

#include <json-c/json.h>

#include "api-db.h"
#include "api-request.h"

typedef struct ApiPage {
    long long limit;
    long long offset;
    long long page; /* the "page" parameter as given; 0 when absent */
} ApiPage;

/* The parameters a route takes besides "limit". */
enum {
    API_PAGE_OFFSET = 1u << 0, /* "offset", 0 to INT32_MAX (absent: 0) */
    API_PAGE_NUMBER = 1u << 1, /* "page", from 1 (absent: 0); sets offset to (page - 1) * limit */
};

/*
 * Reads "limit" (1 to max, absent: def) and the parameters of which into ret. On a bad value
 * appends an issue to *details (limit, offset, page in that order) and returns -EINVAL; the caller
 * answers once all its parameters are read. ret holds the good values even then (a bad one reads
 * 0), for the caller's checks of how they combine.
 */
int api_page_read(ApiRequest *r, long long def, long long max, unsigned which, ApiPage *ret,
                  json_object **details);

/* The fields of meta besides "limit", always in the order total, limit, offset, page, totalPages.
 */
enum {
    API_META_TOTAL = 1u << 0,  /* "total": column 0 of res's first row (count(*) OVER ()), or 0 */
    API_META_OFFSET = 1u << 1, /* "offset" */
    API_META_PAGES = 1u << 2,  /* "page" (offset / limit + 1) and "totalPages" (needs TOTAL) */
};

/* A new meta object for a reply of page p (api_reply_list takes it). */
json_object *api_page_meta(const ApiPage *p, const DbResult *res, unsigned fields);
