/* api-page: paging of list routes: the limit, offset and page query parameters and the "meta"
 * object of the reply. */
#include "api-page.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

int api_page_read(ApiRequest *r, long long def, long long max, unsigned which, ApiPage *ret,
                  json_object **details) {
    *ret = (ApiPage){0};
    /* Each parameter is read even after a bad one, so that one 400 lists every issue. */
    int a = api_query_int(r, "limit", def, 1, max, &ret->limit, details);
    int b = which & API_PAGE_OFFSET
                ? api_query_int(r, "offset", 0, 0, INT32_MAX, &ret->offset, details)
                : 0;
    /* The bound keeps (page - 1) * limit, the SQL OFFSET, within an int. */
    int c = which & API_PAGE_NUMBER
                ? api_query_int(r, "page", 0, 1, INT32_MAX / max, &ret->page, details)
                : 0;
    if (a < 0 || b < 0 || c < 0)
        return -EINVAL;
    if (ret->page)
        ret->offset = (ret->page - 1) * ret->limit;
    return 0;
}

json_object *api_page_meta(const ApiPage *p, const DbResult *res, unsigned fields) {
    json_object *meta = json_object_new_object();
    long long total = 0;
    if (fields & API_META_TOTAL) {
        total = db_ntuples(res) ? atoll(db_value(res, 0, 0)) : 0;
        json_object_object_add(meta, "total", json_object_new_int64(total));
    }
    json_object_object_add(meta, "limit", json_object_new_int64(p->limit));
    if (fields & API_META_OFFSET)
        json_object_object_add(meta, "offset", json_object_new_int64(p->offset));
    if (fields & API_META_PAGES) {
        json_object_object_add(meta, "page", json_object_new_int64(p->offset / p->limit + 1));
        json_object_object_add(meta, "totalPages",
                               json_object_new_int64((total + p->limit - 1) / p->limit));
    }
    return meta;
}
