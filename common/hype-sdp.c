/* hype-sdp: SDP (RFC 8866, as JSEP stacks write it) parsed into plain structures, generated back,
 * and looked up; pure, no I/O. The SFU's negotiation on top of it: hype-sdp-sfu. */
#include "hype-sdp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hype-macro.h"

/* A limit, named as the header names it, so that parse and write errors say which. */
typedef struct Limit {
    size_t max;
    const char *what;
    const char *name;
} Limit;

#define LIMIT(max, what) ((const Limit){(max), (what), #max})
#define LIMIT_MEDIA LIMIT(SDP_MAX_MEDIA, "m-sections")
#define LIMIT_CODECS LIMIT(SDP_MAX_CODECS, "payload types in an m-section")
#define LIMIT_RTCP_FB LIMIT(SDP_MAX_RTCP_FB, "a=rtcp-fb lines for a payload type")
#define LIMIT_EXTMAPS LIMIT(SDP_MAX_EXTMAPS, "a=extmap lines in an m-section")
#define LIMIT_SSRCS LIMIT(SDP_MAX_SSRCS, "SSRCs in an m-section")
#define LIMIT_SSRC_GROUPS LIMIT(SDP_MAX_SSRC_GROUPS, "a=ssrc-group lines in an m-section")
#define LIMIT_GROUP_SSRCS LIMIT(SDP_MAX_GROUP_SSRCS, "SSRCs in an a=ssrc-group")
#define LIMIT_MSIDS LIMIT(SDP_MAX_MSIDS, "a=msid lines in an m-section")
#define LIMIT_RIDS LIMIT(SDP_MAX_RIDS, "a=rid lines in an m-section")
#define LIMIT_CANDIDATES LIMIT(SDP_MAX_CANDIDATES, "candidates in an m-section")
#define LIMIT_FINGERPRINTS LIMIT(SDP_MAX_FINGERPRINTS, "a=fingerprint lines at one level")
#define LIMIT_GROUPS LIMIT(SDP_MAX_GROUPS, "a=group lines")
#define LIMIT_GROUP_MIDS LIMIT(SDP_MAX_MEDIA, "mids in an a=group")
#define LIMIT_EXTRA LIMIT(SDP_MAX_EXTRA, "unmodelled lines at one level")

static void set_error(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
static void set_error(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void *sdp_array_push(Arena *a, void **items, size_t *count, size_t size) {
    size_t n = *count;
    /* The capacity is implied by the count (4, 8, 16, …), so the structures carry none. */
    if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
        size_t cap = n ? 2 * n : 4;
        if (cap > SIZE_MAX / size)
            return NULL;
        void *grown = arena_alloc(a, cap * size);
        if (!grown)
            return NULL;
        if (n)
            memcpy(grown, *items, n * size);
        *items = grown;
    }
    void *item = (char *)*items + n * size;
    memset(item, 0, size);
    *count = n + 1;
    return item;
}

/* ---- Parsing ---------------------------------------------------------------------------- */

typedef struct Parser {
    Arena *arena;
    Sdp *sdp;
    SdpMedia *media; /* the current m-section; NULL at session level */
    unsigned line_no;
    const char *line; /* the line being parsed as written (trimmed), for keep_line */
    size_t line_length;
    char what[32]; /* the current line's type or attribute, for messages: "a=rtpmap" */
    char *err;
    size_t errlen;
    bool seen_v, seen_o, seen_s, seen_t;
} Parser;

static int fail(Parser *p, int r, const char *fmt, ...) _printf_(3, 4);
static int fail(Parser *p, int r, const char *fmt, ...) {
    char msg[SDP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (p->what[0])
        set_error(p->err, p->errlen, "line %u (%s): %s", p->line_no, p->what, msg);
    else
        set_error(p->err, p->errlen, "line %u: %s", p->line_no, msg);
    return r;
}

/* -E2BIG when one more element would pass the limit. */
static int check_room(Parser *p, size_t n, Limit l) {
    if (n < l.max)
        return 0;
    return fail(p, -E2BIG, "more than %zu %s (%s)", l.max, l.what, l.name);
}

/* Adds an element to items after checking the limit: 0 and *ret_item, or a negative errno. */
#define PUSH(p, items, count, limit, ret_item)                                                     \
    ({                                                                                             \
        int _r_ = check_room((p), *(count), (limit));                                              \
        *(ret_item) = NULL;                                                                        \
        if (_r_ == 0) {                                                                            \
            *(ret_item) = SDP_PUSH((p)->arena, (items), (count));                                  \
            _r_ = *(ret_item) ? 0 : -ENOMEM;                                                       \
        }                                                                                          \
        _r_;                                                                                       \
    })

/* The next space-separated token of *s, cut in place; NULL at the end. */
static char *token(char **s) {
    char *t = *s + strspn(*s, " ");
    if (!*t)
        return NULL;
    char *end = t + strcspn(t, " ");
    *s = *end ? end + 1 : end;
    *end = '\0';
    return t;
}

/* What is left of *s after spaces, or NULL when nothing is. */
static char *rest(char **s) {
    char *t = *s + strspn(*s, " ");
    *s = t + strlen(t);
    return *t ? t : NULL;
}

/* A decimal number of at most max (no sign, no spaces); -EINVAL otherwise. */
static int parse_uint(const char *s, uint64_t max, uint64_t *ret) {
    if (!s || !*s)
        return -EINVAL;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > max)
        return -EINVAL;
    *ret = v;
    return 0;
}

static int number(Parser *p, const char *s, uint64_t min, uint64_t max, const char *name,
                  uint64_t *ret) {
    if (parse_uint(s, max, ret) < 0 || *ret < min)
        return fail(p, -EINVAL, "bad %s \"%.24s\"", name, s ? s : "");
    return 0;
}

/* A copy of value (NULL stays NULL) in the arena. */
static int store(Parser *p, char **field, const char *value) {
    *field = value ? arena_strdup(p->arena, value) : NULL;
    return *field || !value ? 0 : -ENOMEM;
}

/* For attributes that may appear once per level. */
static int store_once(Parser *p, char **field, const char *value) {
    if (*field)
        return fail(p, -EINVAL, "duplicate");
    return store(p, field, value);
}

/* A value that must be exactly one token. */
static int one_token(Parser *p, char *value, char **ret) {
    char *t = token(&value);
    *ret = NULL;
    if (!t || rest(&value))
        return fail(p, -EINVAL, t ? "expected one token" : "missing value");
    *ret = t;
    return 0;
}

static SdpTransport *transport_of(Parser *p) {
    return p->media ? &p->media->transport : &p->sdp->transport;
}

static int on_ice_ufrag(Parser *p, char *value) {
    char *t;
    int r = one_token(p, value, &t);
    return r < 0 ? r : store_once(p, &transport_of(p)->ice_ufrag, t);
}

static int on_ice_pwd(Parser *p, char *value) {
    char *t;
    int r = one_token(p, value, &t);
    return r < 0 ? r : store_once(p, &transport_of(p)->ice_pwd, t);
}

static int on_ice_options(Parser *p, char *value) {
    return store_once(p, &transport_of(p)->ice_options, rest(&value));
}

static int on_fingerprint(Parser *p, char *value) {
    char *algorithm = token(&value), *hash = token(&value);
    if (!hash || rest(&value))
        return fail(p, -EINVAL, "expected an algorithm and a value");
    SdpTransport *t = transport_of(p);
    SdpFingerprint *f;
    int r = PUSH(p, &t->fingerprints, &t->n_fingerprints, LIMIT_FINGERPRINTS, &f);
    if (r < 0)
        return r;
    if (store(p, &f->algorithm, algorithm) < 0 || store(p, &f->value, hash) < 0)
        return -ENOMEM;
    return 0;
}

static const char *const setup_names[] = {"", "actpass", "active", "passive", "holdconn"};
static const char *const direction_names[] = {"", "sendrecv", "sendonly", "recvonly", "inactive"};

/* The index of name in names[1..n), or 0. */
static int lookup(const char *const *names, size_t n, const char *name) {
    for (size_t i = 1; i < n; i++)
        if (name && strcmp(names[i], name) == 0)
            return (int)i;
    return 0;
}

static int on_setup(Parser *p, char *value) {
    SdpTransport *t = transport_of(p);
    int setup = lookup(setup_names, ELEMENTSOF(setup_names), rest(&value));
    if (!setup)
        return fail(p, -EINVAL, "expected actpass, active, passive or holdconn");
    if (t->setup)
        return fail(p, -EINVAL, "duplicate");
    t->setup = (SdpSetup)setup;
    return 0;
}

static int on_ice_lite(Parser *p, char *value) {
    p->sdp->ice_lite = true;
    return 0;
}

static int on_direction(Parser *p, char *value) {
    SdpDirection *d = p->media ? &p->media->direction : &p->sdp->direction;
    if (*d)
        return fail(p, -EINVAL, "a second direction attribute");
    *d = (SdpDirection)lookup(direction_names, ELEMENTSOF(direction_names), p->what + 2);
    return 0;
}

static int on_group(Parser *p, char *value) {
    Sdp *sdp = p->sdp;
    char *semantics = token(&value);
    SdpGroup *g;
    int r = PUSH(p, &sdp->groups, &sdp->n_groups, LIMIT_GROUPS, &g);
    if (r < 0 || (r = store(p, &g->semantics, semantics)) < 0)
        return r;
    for (char *mid; (mid = token(&value));) {
        char **slot;
        if ((r = PUSH(p, &g->mids, &g->n_mids, LIMIT_GROUP_MIDS, &slot)) < 0 ||
            (r = store(p, slot, mid)) < 0)
            return r;
    }
    return 0;
}

static int on_msid_semantic(Parser *p, char *value) {
    return store_once(p, &p->sdp->msid_semantic, rest(&value));
}

static int on_mid(Parser *p, char *value) {
    char *mid;
    int r = one_token(p, value, &mid);
    if (r < 0)
        return r;
    /* A mid names one m-section: BUNDLE groups and the RTP mid extension rely on it. */
    for (SdpMedia *m = p->sdp->media; m < p->media; m++)
        if (m->mid && strcmp(m->mid, mid) == 0)
            return fail(p, -EINVAL, "mid \"%.32s\" already names an m-section", mid);
    return store_once(p, &p->media->mid, mid);
}

static int on_rtcp_mux(Parser *p, char *value) {
    p->media->rtcp_mux = true;
    return 0;
}

static int on_rtcp_rsize(Parser *p, char *value) {
    p->media->rtcp_rsize = true;
    return 0;
}

static int on_end_of_candidates(Parser *p, char *value) {
    p->media->end_of_candidates = true;
    return 0;
}

/* The codec of the current m-section whose payload type the line starts with. */
static int codec_of(Parser *p, char **value, SdpCodec **ret) {
    uint64_t pt;
    int r = number(p, token(value), 0, 127, "payload type", &pt);
    if (r < 0)
        return r;
    for (size_t i = 0; i < p->media->n_codecs; i++)
        if (p->media->codecs[i].pt == pt) {
            *ret = &p->media->codecs[i];
            return 0;
        }
    return fail(p, -EINVAL, "payload type %" PRIu64 " is not in the m= line", pt);
}

static int on_rtpmap(Parser *p, char *value) {
    SdpCodec *c;
    int r = codec_of(p, &value, &c);
    if (r < 0)
        return r;
    char *encoding = token(&value), *name = encoding ? strsep(&encoding, "/") : NULL;
    char *clock = encoding ? strsep(&encoding, "/") : NULL, *channels = encoding;
    uint64_t rate, n = 0;
    if (!name || !*name || rest(&value))
        return fail(p, -EINVAL, "expected <payload type> <name>/<clock rate>[/<channels>]");
    if ((r = number(p, clock, 1, UINT32_MAX, "clock rate", &rate)) < 0 ||
        (channels && (r = number(p, channels, 1, UINT8_MAX, "channel count", &n)) < 0))
        return r;
    if (c->name)
        return fail(p, -EINVAL, "duplicate for payload type %u", c->pt);
    c->clock_rate = (uint32_t)rate;
    c->channels = (uint8_t)n;
    return store(p, &c->name, name);
}

static int on_fmtp(Parser *p, char *value) {
    SdpCodec *c;
    int r = codec_of(p, &value, &c);
    if (r < 0)
        return r;
    char *params = rest(&value);
    if (!params)
        return fail(p, -EINVAL, "missing parameters");
    if (c->fmtp)
        return fail(p, -EINVAL, "duplicate for payload type %u", c->pt);
    return store(p, &c->fmtp, params);
}

static int keep_line(Parser *p);

static int on_rtcp_fb(Parser *p, char *value) {
    /* "*" applies to every payload type; rare enough to be kept as written. */
    if (value[0] == '*' && value[1] == ' ')
        return keep_line(p);
    SdpCodec *c;
    int r = codec_of(p, &value, &c);
    if (r < 0)
        return r;
    char *feedback = rest(&value), **slot;
    if (!feedback)
        return fail(p, -EINVAL, "missing feedback type");
    if ((r = PUSH(p, &c->rtcp_fb, &c->n_rtcp_fb, LIMIT_RTCP_FB, &slot)) < 0)
        return r;
    return store(p, slot, feedback);
}

static int on_extmap(Parser *p, char *value) {
    SdpMedia *m = p->media;
    char *id = token(&value), *direction = id, *uri = token(&value);
    id = strsep(&direction, "/");
    uint64_t n;
    int r = number(p, id, 1, 4351, "extension id", &n);
    if (r < 0)
        return r;
    if (n > 255 && n < 4096)
        return fail(p, -EINVAL, "extension id %" PRIu64 " is out of range", n);
    int d = direction ? lookup(direction_names, ELEMENTSOF(direction_names), direction) : 0;
    if ((direction && !d) || !uri)
        return fail(p, -EINVAL, "expected <id>[/<direction>] <uri> [<attributes>]");
    for (size_t i = 0; i < m->n_extmaps; i++)
        if (m->extmaps[i].id == n)
            return fail(p, -EINVAL, "extension id %" PRIu64 " is used twice", n);
    SdpExtmap *e;
    if ((r = PUSH(p, &m->extmaps, &m->n_extmaps, LIMIT_EXTMAPS, &e)) < 0)
        return r;
    e->id = (uint16_t)n;
    e->direction = (SdpDirection)d;
    if ((r = store(p, &e->uri, uri)) < 0)
        return r;
    return store(p, &e->attributes, rest(&value));
}

static int on_ssrc(Parser *p, char *value) {
    SdpMedia *m = p->media;
    uint64_t n;
    int r = number(p, token(&value), 0, UINT32_MAX, "SSRC", &n);
    if (r < 0)
        return r;
    char *attribute = rest(&value), *content = attribute;
    if (!attribute)
        return fail(p, -EINVAL, "missing attribute");
    attribute = strsep(&content, ":");
    if (content)
        content += strspn(content, " ");
    bool cname = strcmp(attribute, "cname") == 0, msid = strcmp(attribute, "msid") == 0;
    if (!cname && !msid)
        return 0; /* mslabel, label: legacy, not modelled */
    if (!content || !*content)
        return fail(p, -EINVAL, "missing %s value", attribute);
    SdpSsrc *s = (SdpSsrc *)sdp_find_ssrc(m, (uint32_t)n);
    if (!s) {
        if ((r = PUSH(p, &m->ssrcs, &m->n_ssrcs, LIMIT_SSRCS, &s)) < 0)
            return r;
        s->ssrc = (uint32_t)n;
    }
    return store_once(p, cname ? &s->cname : &s->msid, content);
}

static int on_ssrc_group(Parser *p, char *value) {
    SdpMedia *m = p->media;
    char *semantics = token(&value);
    SdpSsrcGroup *g;
    int r = PUSH(p, &m->ssrc_groups, &m->n_ssrc_groups, LIMIT_SSRC_GROUPS, &g);
    if (r < 0 || (r = store(p, &g->semantics, semantics)) < 0)
        return r;
    for (char *t; (t = token(&value));) {
        uint64_t n;
        uint32_t *slot;
        if ((r = number(p, t, 0, UINT32_MAX, "SSRC", &n)) < 0 ||
            (r = PUSH(p, &g->ssrcs, &g->n_ssrcs, LIMIT_GROUP_SSRCS, &slot)) < 0)
            return r;
        *slot = (uint32_t)n;
    }
    if (g->n_ssrcs == 0)
        return fail(p, -EINVAL, "expected <semantics> <ssrc>...");
    return 0;
}

static int on_msid(Parser *p, char *value) {
    SdpMedia *m = p->media;
    char **slot;
    int r = PUSH(p, &m->msids, &m->n_msids, LIMIT_MSIDS, &slot);
    return r < 0 ? r : store(p, slot, rest(&value));
}

static int on_rid(Parser *p, char *value) {
    SdpMedia *m = p->media;
    char *id = token(&value), *direction = token(&value);
    bool send = direction && strcmp(direction, "send") == 0;
    if (!send && (!direction || strcmp(direction, "recv") != 0))
        return fail(p, -EINVAL, "expected <id> send|recv [<params>]");
    for (size_t i = 0; i < m->n_rids; i++)
        if (strcmp(m->rids[i].id, id) == 0)
            return fail(p, -EINVAL, "rid \"%.32s\" is declared twice", id);
    SdpRid *rid;
    int r = PUSH(p, &m->rids, &m->n_rids, LIMIT_RIDS, &rid);
    if (r < 0 || (r = store(p, &rid->id, id)) < 0)
        return r;
    rid->direction = send ? SDP_SENDONLY : SDP_RECVONLY;
    return store(p, &rid->params, rest(&value));
}

static int on_simulcast(Parser *p, char *value) {
    return store_once(p, &p->media->simulcast, rest(&value));
}

/* "<foundation> <component> <transport> <priority> <address> <port> typ <type> [<rest>]" */
static int on_candidate(Parser *p, char *value) {
    SdpMedia *m = p->media;
    char *foundation = token(&value), *component = token(&value), *transport = token(&value);
    char *priority = token(&value), *address = token(&value), *port = token(&value);
    char *typ = token(&value), *type = token(&value);
    if (!type || strcmp(typ, "typ") != 0)
        return fail(p, -EINVAL,
                    "expected <foundation> <component> <transport> <priority> "
                    "<address> <port> typ <type>");
    uint64_t c, prio, n;
    int r;
    if ((r = number(p, component, 1, 256, "component", &c)) < 0 ||
        (r = number(p, priority, 0, UINT32_MAX, "priority", &prio)) < 0 ||
        (r = number(p, port, 0, UINT16_MAX, "port", &n)) < 0)
        return r;
    SdpCandidate *cand;
    if ((r = PUSH(p, &m->candidates, &m->n_candidates, LIMIT_CANDIDATES, &cand)) < 0)
        return r;
    cand->component = (uint16_t)c;
    cand->priority = (uint32_t)prio;
    cand->port = (uint16_t)n;
    if (store(p, &cand->foundation, foundation) < 0 || store(p, &cand->transport, transport) < 0 ||
        store(p, &cand->address, address) < 0 || store(p, &cand->type, type) < 0 ||
        store(p, &cand->rest, rest(&value)) < 0)
        return -ENOMEM;
    return 0;
}

/* A number attribute that may come once per m-section (present: it already has). */
static int number_once(Parser *p, char *value, bool present, uint64_t min, uint64_t max,
                       const char *name, uint64_t *ret) {
    int r = number(p, rest(&value), min, max, name, ret);
    return r == 0 && present ? fail(p, -EINVAL, "duplicate") : r;
}

static int on_sctp_port(Parser *p, char *value) {
    uint64_t n;
    int r = number_once(p, value, p->media->sctp_port, 1, UINT16_MAX, "port", &n);
    if (r == 0)
        p->media->sctp_port = (uint16_t)n;
    return r;
}

static int on_max_message_size(Parser *p, char *value) {
    SdpMedia *m = p->media;
    int r =
        number_once(p, value, m->has_max_message_size, 0, UINT64_MAX, "size", &m->max_message_size);
    m->has_max_message_size |= r == 0;
    return r;
}

enum { AT_SESSION = 1, AT_MEDIA = 2, AT_BOTH = 3 };

typedef struct Attribute {
    const char *name;
    unsigned where;
    bool flag; /* takes no value */
    int (*parse)(Parser *p, char *value);
} Attribute;

static const Attribute attributes[] = {
    {"ice-ufrag", AT_BOTH, false, on_ice_ufrag},
    {"ice-pwd", AT_BOTH, false, on_ice_pwd},
    {"ice-options", AT_BOTH, false, on_ice_options},
    {"ice-lite", AT_SESSION, true, on_ice_lite},
    {"fingerprint", AT_BOTH, false, on_fingerprint},
    {"setup", AT_BOTH, false, on_setup},
    {"group", AT_SESSION, false, on_group},
    {"msid-semantic", AT_SESSION, false, on_msid_semantic},
    {"sendrecv", AT_BOTH, true, on_direction},
    {"sendonly", AT_BOTH, true, on_direction},
    {"recvonly", AT_BOTH, true, on_direction},
    {"inactive", AT_BOTH, true, on_direction},
    {"mid", AT_MEDIA, false, on_mid},
    {"rtcp-mux", AT_MEDIA, true, on_rtcp_mux},
    {"rtcp-rsize", AT_MEDIA, true, on_rtcp_rsize},
    {"rtpmap", AT_MEDIA, false, on_rtpmap},
    {"fmtp", AT_MEDIA, false, on_fmtp},
    {"rtcp-fb", AT_MEDIA, false, on_rtcp_fb},
    {"extmap", AT_MEDIA, false, on_extmap},
    {"ssrc", AT_MEDIA, false, on_ssrc},
    {"ssrc-group", AT_MEDIA, false, on_ssrc_group},
    {"msid", AT_MEDIA, false, on_msid},
    {"rid", AT_MEDIA, false, on_rid},
    {"simulcast", AT_MEDIA, false, on_simulcast},
    {"candidate", AT_MEDIA, false, on_candidate},
    {"end-of-candidates", AT_MEDIA, true, on_end_of_candidates},
    {"sctp-port", AT_MEDIA, false, on_sctp_port},
    {"max-message-size", AT_MEDIA, false, on_max_message_size},
};

/* Keeps the current line as written in the current level's extra lines. */
static int keep_line(Parser *p) {
    char ***extra = p->media ? &p->media->extra : &p->sdp->extra;
    size_t *n = p->media ? &p->media->n_extra : &p->sdp->n_extra;
    char **slot;
    int r = PUSH(p, extra, n, LIMIT_EXTRA, &slot);
    if (r < 0)
        return r;
    *slot = arena_strndup(p->arena, p->line, p->line_length);
    return *slot ? 0 : -ENOMEM;
}

static const Attribute *find_attribute(const char *name) {
    for (size_t i = 0; i < ELEMENTSOF(attributes); i++)
        if (strcmp(attributes[i].name, name) == 0)
            return &attributes[i];
    return NULL;
}

static int parse_attribute(Parser *p, char *line) {
    char *name = line + 2, *value = strchr(name, ':');
    if (value)
        *value++ = '\0';
    snprintf(p->what, sizeof(p->what), "a=%.24s", name);
    const Attribute *at = find_attribute(name);
    if (!at || !(at->where & (p->media ? AT_MEDIA : AT_SESSION)))
        return keep_line(p);
    if (at->flag && value)
        return fail(p, -EINVAL, "takes no value");
    if (!at->flag && (!value || !value[strspn(value, " ")]))
        return fail(p, -EINVAL, "missing value");
    return at->parse(p, value);
}

/* o=, s= and t= come before the first m= line; a description without them is refused. */
static int check_session_lines(Parser *p) {
    const char *missing = !p->seen_o ? "o=" : !p->seen_s ? "s=" : !p->seen_t ? "t=" : NULL;
    if (!missing)
        return 0;
    return fail(p, -EINVAL, "missing the %s line", missing);
}

static int parse_formats(Parser *p, SdpMedia *m, char *formats) {
    if (!strstr(m->protocol, "RTP/"))
        return store(p, &m->formats, formats);
    for (char *t; (t = token(&formats));) {
        uint64_t pt;
        SdpCodec *c;
        int r = number(p, t, 0, 127, "payload type", &pt);
        if (r < 0)
            return r;
        if (sdp_find_codec(m, (uint8_t)pt))
            return fail(p, -EINVAL, "payload type %" PRIu64 " is listed twice", pt);
        if ((r = PUSH(p, &m->codecs, &m->n_codecs, LIMIT_CODECS, &c)) < 0)
            return r;
        c->pt = (uint8_t)pt;
    }
    return 0;
}

static const char *const kind_names[] = {"audio", "video", "application"};

static int on_media_line(Parser *p, char *value) {
    Sdp *sdp = p->sdp;
    int r = check_session_lines(p);
    if (r < 0)
        return r;
    char *kind = token(&value), *port = token(&value), *protocol = token(&value);
    char *formats = rest(&value);
    uint64_t n;
    if (!formats)
        return fail(p, -EINVAL, "expected <media> <port> <protocol> <format>...");
    if ((r = number(p, port, 0, UINT16_MAX, "port", &n)) < 0)
        return r;
    SdpMedia *m;
    if ((r = PUSH(p, &sdp->media, &sdp->n_media, LIMIT_MEDIA, &m)) < 0)
        return r;
    p->media = m;
    m->port = (uint16_t)n;
    m->kind = SDP_MEDIA_OTHER;
    for (size_t i = 0; i < ELEMENTSOF(kind_names); i++)
        if (strcmp(kind, kind_names[i]) == 0)
            m->kind = (SdpMediaKind)i;
    if (m->kind == SDP_MEDIA_OTHER && (r = store(p, &m->other_kind, kind)) < 0)
        return r;
    if ((r = store(p, &m->protocol, protocol)) < 0)
        return r;
    return parse_formats(p, m, formats);
}

static int on_origin(Parser *p, char *value) {
    SdpOrigin *o = &p->sdp->origin;
    char *username = token(&value), *id = token(&value), *version = token(&value);
    char *address = rest(&value);
    int r;
    if (!address)
        return fail(p, -EINVAL,
                    "expected <username> <session id> <version> <nettype> "
                    "<addrtype> <address>");
    if ((r = number(p, id, 0, UINT64_MAX, "session id", &o->session_id)) < 0 ||
        (r = number(p, version, 0, UINT64_MAX, "session version", &o->session_version)) < 0)
        return r;
    if ((r = store(p, &o->username, username)) < 0)
        return r;
    return store(p, &o->address, address);
}

/* v=, o=, s= and t= belong to the session, once each; v=0 comes first. */
static int parse_session_line(Parser *p, char type, char *value) {
    bool *seen = type == 'o' ? &p->seen_o : type == 's' ? &p->seen_s : &p->seen_t;
    if (type == 'v')
        return fail(p, -EINVAL, "duplicate");
    if (p->media)
        return fail(p, -EINVAL, "inside an m-section");
    if (*seen)
        return fail(p, -EINVAL, "duplicate");
    *seen = true;
    if (type == 'o')
        return on_origin(p, value);
    return store(p, type == 's' ? &p->sdp->name : &p->sdp->timing, value);
}

static int parse_line(Parser *p, char *line, size_t n) {
    p->what[0] = '\0';
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            return fail(p, -EINVAL, "control character at column %zu", i + 1);
    if (n < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z')
        return fail(p, -EINVAL, "not a <type>=<value> line");
    snprintf(p->what, sizeof(p->what), "%c=", line[0]);
    char *value = line + 2;
    if (!p->seen_v) {
        p->seen_v = true;
        return strcmp(line, "v=0") == 0 ? 0 : fail(p, -EINVAL, "the first line must be v=0");
    }
    switch (line[0]) {
    case 'v':
    case 'o':
    case 's':
    case 't': return parse_session_line(p, line[0], value);
    case 'm': return on_media_line(p, value);
    case 'a': return parse_attribute(p, line);
    case 'c':
        if (!(value = rest(&value)))
            return fail(p, -EINVAL, "missing value");
        return store_once(p, p->media ? &p->media->connection : &p->sdp->connection, value);
    default: return keep_line(p);
    }
}

/* Every mid a group names must name an m-section. */
static int check_groups(Parser *p) {
    const Sdp *sdp = p->sdp;
    for (size_t i = 0; i < sdp->n_groups; i++)
        for (size_t j = 0; j < sdp->groups[i].n_mids; j++)
            if (!sdp_find_mid(sdp, sdp->groups[i].mids[j])) {
                set_error(p->err, p->errlen,
                          "a=group:%.16s names mid \"%.32s\", which no m-section has",
                          sdp->groups[i].semantics, sdp->groups[i].mids[j]);
                return -EINVAL;
            }
    return 0;
}

int sdp_parse(Arena *a, const char *text, size_t len, Sdp **ret, char *err, size_t errlen) {
    if (len > SDP_MAX_SIZE) {
        set_error(err, errlen, "%zu bytes, more than %d (SDP_MAX_SIZE)", len, SDP_MAX_SIZE);
        return -E2BIG;
    }
    Sdp *sdp = arena_zalloc(a, sizeof(*sdp));
    if (!sdp)
        return -ENOMEM;
    Parser p = {.arena = a, .sdp = sdp, .err = err, .errlen = errlen};
    char line[SDP_MAX_LINE + 1];
    for (size_t off = 0; off < len;) {
        const char *start = text + off, *nl = memchr(start, '\n', len - off);
        size_t n = nl ? (size_t)(nl - start) : len - off;
        off += n + (nl != NULL);
        p.line_no++;
        if (n && start[n - 1] == '\r')
            n--;
        while (n && start[n - 1] == ' ')
            n--;
        if (n == 0)
            continue; /* blank lines, such as a final line end written twice */
        p.what[0] = '\0';
        if (n > SDP_MAX_LINE)
            return fail(&p, -E2BIG, "longer than %d bytes (SDP_MAX_LINE)", SDP_MAX_LINE);
        memcpy(line, start, n);
        line[n] = '\0';
        p.line = start;
        p.line_length = n;
        int r = parse_line(&p, line, n);
        if (r < 0)
            return r;
    }
    p.line_no++;
    p.what[0] = '\0';
    int r = !p.seen_v ? fail(&p, -EINVAL, "empty: no v=0 line") : check_session_lines(&p);
    if (r < 0 || (r = check_groups(&p)) < 0)
        return r;
    *ret = sdp;
    return 0;
}

/* ---- Generation ------------------------------------------------------------------------- */

typedef struct Writer {
    char *buf;
    size_t size, len;
    int error;
    char *err;
    size_t errlen;
} Writer;

static void write_error(Writer *w, int r, const char *fmt, ...) _printf_(3, 4);
static void write_error(Writer *w, int r, const char *fmt, ...) {
    if (w->error)
        return; /* the first error is the one worth telling */
    w->error = r;
    char msg[SDP_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    set_error(w->err, w->errlen, "%s", msg);
}

static void append(Writer *w, const char *s, size_t n) {
    if (w->len < w->size) {
        size_t room = w->size - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

/* One line, CRLF added; refused when it would not parse back (too long, a control character). */
static void put(Writer *w, const char *fmt, ...) _printf_(2, 3);
static void put(Writer *w, const char *fmt, ...) {
    char line[SDP_MAX_LINE + 1];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || n > SDP_MAX_LINE)
        return write_error(w, -E2BIG, "%.8s…: a line longer than %d bytes (SDP_MAX_LINE)", line,
                           SDP_MAX_LINE);
    for (int i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
            return write_error(w, -EINVAL, "%.*s: a control character", i < 24 ? i : 24, line);
    /* The parser trims trailing spaces, so the line would not come back as it is. */
    if (n > 0 && line[n - 1] == ' ')
        return write_error(w, -EINVAL, "%.24s: ends with a space", line);
    append(w, line, (size_t)n);
    append(w, "\r\n", 2);
}

/* A field written as one token must be one, or the text would not parse back. */
static const char *tok(Writer *w, const char *s, const char *what) {
    if (!s || !*s || strchr(s, ' ')) {
        write_error(w, -EINVAL, "%s: %s", what, s ? "not a single token" : "missing");
        return "-";
    }
    return s;
}

/* A field written last on its line, or before others: the parser skips spaces before it. */
static const char *val(Writer *w, const char *s, const char *what) {
    if (!s || !*s || *s == ' ') {
        write_error(w, -EINVAL, "%s: %s", what, s ? "empty or starting with a space" : "missing");
        return "-";
    }
    return s;
}

/* false (and the error) when n is over the limit: the items are then not written. */
static bool limit(Writer *w, size_t n, Limit l) {
    if (n <= l.max)
        return true;
    write_error(w, -E2BIG, "more than %zu %s (%s)", l.max, l.what, l.name);
    return false;
}

/* Extra lines are "<type>=…" of a type that parses back as an extra line. */
static void write_extra(Writer *w, char *const *extra, size_t n, bool attributes) {
    for (size_t i = 0; limit(w, n, LIMIT_EXTRA) && i < n; i++) {
        const char *e = extra[i];
        if (!e || e[0] < 'a' || e[0] > 'z' || e[1] != '=' || strchr("vostmc", e[0]))
            return write_error(w, -EINVAL,
                               "an extra line must be <type>=<value> of a type "
                               "other than v, o, s, t, m, c");
        if ((e[0] == 'a') == attributes)
            put(w, "%s", e);
    }
}

static void write_transport(Writer *w, const SdpTransport *t) {
    if (t->ice_ufrag)
        put(w, "a=ice-ufrag:%s", tok(w, t->ice_ufrag, "a=ice-ufrag"));
    if (t->ice_pwd)
        put(w, "a=ice-pwd:%s", tok(w, t->ice_pwd, "a=ice-pwd"));
    if (t->ice_options)
        put(w, "a=ice-options:%s", val(w, t->ice_options, "a=ice-options"));
    for (size_t i = 0; limit(w, t->n_fingerprints, LIMIT_FINGERPRINTS) && i < t->n_fingerprints;
         i++)
        put(w, "a=fingerprint:%s %s", tok(w, t->fingerprints[i].algorithm, "a=fingerprint"),
            tok(w, t->fingerprints[i].value, "a=fingerprint"));
    if (t->setup && (size_t)t->setup < ELEMENTSOF(setup_names))
        put(w, "a=setup:%s", setup_names[t->setup]);
}

static void write_direction(Writer *w, SdpDirection d) {
    if (d && (size_t)d < ELEMENTSOF(direction_names))
        put(w, "a=%s", direction_names[d]);
}

static void write_session(Writer *w, const Sdp *sdp) {
    const SdpOrigin *o = &sdp->origin;
    put(w, "v=0");
    put(w, "o=%s %" PRIu64 " %" PRIu64 " %s", tok(w, o->username, "o= username"), o->session_id,
        o->session_version, val(w, o->address, "o= address"));
    put(w, "s=%s", sdp->name ? sdp->name : "-");
    if (sdp->connection)
        put(w, "c=%s", val(w, sdp->connection, "c="));
    write_extra(w, sdp->extra, sdp->n_extra, false);
    put(w, "t=%s", sdp->timing ? sdp->timing : "0 0");
    if (sdp->ice_lite)
        put(w, "a=ice-lite");
    write_transport(w, &sdp->transport);
    for (size_t i = 0; limit(w, sdp->n_groups, LIMIT_GROUPS) && i < sdp->n_groups; i++) {
        const SdpGroup *g = &sdp->groups[i];
        char mids[SDP_MAX_LINE + 1] = "";
        size_t n = 0;
        for (size_t j = 0;
             limit(w, g->n_mids, LIMIT_GROUP_MIDS) && j < g->n_mids && n < sizeof(mids); j++)
            n += (size_t)snprintf(mids + n, sizeof(mids) - n, " %s", tok(w, g->mids[j], "a=group"));
        if (n >= sizeof(mids))
            write_error(w, -E2BIG, "a=group: a line longer than %d bytes (SDP_MAX_LINE)",
                        SDP_MAX_LINE);
        put(w, "a=group:%s%s", tok(w, g->semantics, "a=group"), mids);
    }
    if (sdp->msid_semantic)
        put(w, "a=msid-semantic:%s", val(w, sdp->msid_semantic, "a=msid-semantic"));
    write_direction(w, sdp->direction);
    write_extra(w, sdp->extra, sdp->n_extra, true);
}

static bool is_rtp(const char *protocol) {
    return protocol && strstr(protocol, "RTP/");
}

/* The protocol decides what follows it, as in parse_formats. */
static void write_media_line(Writer *w, const SdpMedia *m) {
    char formats[SDP_MAX_CODECS * 4 + 1] = "";
    size_t n = 0;
    for (size_t i = 0; limit(w, m->n_codecs, LIMIT_CODECS) && i < m->n_codecs; i++) {
        if (m->codecs[i].pt > 127)
            write_error(w, -EINVAL, "m=: payload type %u is over 127", m->codecs[i].pt);
        n += (size_t)snprintf(formats + n, sizeof(formats) - n, " %u", m->codecs[i].pt);
    }
    if (is_rtp(m->protocol) ? !m->n_codecs || m->formats
                            : m->n_codecs || !m->formats || !*m->formats)
        write_error(w, -EINVAL, "m=: an RTP protocol needs payload types, another formats");
    put(w, "m=%s %u %s%s%s", tok(w, sdp_media_kind_name(m), "m= media"), m->port,
        tok(w, m->protocol, "m= protocol"), m->formats ? " " : formats,
        m->formats ? m->formats : "");
}

static void write_codec(Writer *w, const SdpCodec *c) {
    if (c->name) {
        if (strchr(c->name, '/') || !c->clock_rate)
            write_error(w, -EINVAL, "a=rtpmap:%u: a name without '/' and a clock rate", c->pt);
        if (c->channels)
            put(w, "a=rtpmap:%u %s/%" PRIu32 "/%u", c->pt, tok(w, c->name, "a=rtpmap"),
                c->clock_rate, c->channels);
        else
            put(w, "a=rtpmap:%u %s/%" PRIu32, c->pt, tok(w, c->name, "a=rtpmap"), c->clock_rate);
    } else if (c->clock_rate || c->channels) {
        write_error(w, -EINVAL, "a=rtpmap:%u: a clock rate without a name", c->pt);
    }
    for (size_t i = 0; limit(w, c->n_rtcp_fb, LIMIT_RTCP_FB) && i < c->n_rtcp_fb; i++)
        put(w, "a=rtcp-fb:%u %s", c->pt, val(w, c->rtcp_fb[i], "a=rtcp-fb"));
    if (c->fmtp)
        put(w, "a=fmtp:%u %s", c->pt, val(w, c->fmtp, "a=fmtp"));
}

static bool extmap_id_valid(unsigned id) {
    return (id >= 1 && id <= 255) || (id >= 4096 && id <= 4351);
}

static void write_extmap(Writer *w, const SdpExtmap *e) {
    char id[16];
    if (!extmap_id_valid(e->id))
        write_error(w, -EINVAL, "a=extmap: id %u is out of range", e->id);
    if (e->direction && (size_t)e->direction < ELEMENTSOF(direction_names))
        snprintf(id, sizeof(id), "%u/%s", e->id, direction_names[e->direction]);
    else
        snprintf(id, sizeof(id), "%u", e->id);
    put(w, "a=extmap:%s %s%s%s", id, tok(w, e->uri, "a=extmap uri"), e->attributes ? " " : "",
        e->attributes ? val(w, e->attributes, "a=extmap attributes") : "");
}

static void write_ssrcs(Writer *w, const SdpMedia *m) {
    for (size_t i = 0; limit(w, m->n_ssrc_groups, LIMIT_SSRC_GROUPS) && i < m->n_ssrc_groups; i++) {
        const SdpSsrcGroup *g = &m->ssrc_groups[i];
        char ssrcs[SDP_MAX_GROUP_SSRCS * 11 + 1] = "";
        size_t n = 0;
        if (!g->n_ssrcs)
            write_error(w, -EINVAL, "a=ssrc-group: no SSRC");
        for (size_t j = 0; limit(w, g->n_ssrcs, LIMIT_GROUP_SSRCS) && j < g->n_ssrcs; j++)
            n += (size_t)snprintf(ssrcs + n, sizeof(ssrcs) - n, " %" PRIu32, g->ssrcs[j]);
        put(w, "a=ssrc-group:%s%s", tok(w, g->semantics, "a=ssrc-group"), ssrcs);
    }
    for (size_t i = 0; limit(w, m->n_ssrcs, LIMIT_SSRCS) && i < m->n_ssrcs; i++) {
        const SdpSsrc *s = &m->ssrcs[i];
        if (s->cname)
            put(w, "a=ssrc:%" PRIu32 " cname:%s", s->ssrc, val(w, s->cname, "a=ssrc cname"));
        if (s->msid)
            put(w, "a=ssrc:%" PRIu32 " msid:%s", s->ssrc, val(w, s->msid, "a=ssrc msid"));
    }
}

static void write_rids(Writer *w, const SdpMedia *m) {
    for (size_t i = 0; limit(w, m->n_rids, LIMIT_RIDS) && i < m->n_rids; i++) {
        const SdpRid *r = &m->rids[i];
        if (r->direction != SDP_SENDONLY && r->direction != SDP_RECVONLY)
            write_error(w, -EINVAL, "a=rid: the direction is sendonly or recvonly");
        put(w, "a=rid:%s %s%s%s", tok(w, r->id, "a=rid"),
            r->direction == SDP_SENDONLY ? "send" : "recv", r->params ? " " : "",
            r->params ? val(w, r->params, "a=rid params") : "");
    }
    if (m->simulcast)
        put(w, "a=simulcast:%s", val(w, m->simulcast, "a=simulcast"));
}

static void write_candidates(Writer *w, const SdpMedia *m) {
    for (size_t i = 0; limit(w, m->n_candidates, LIMIT_CANDIDATES) && i < m->n_candidates; i++) {
        const SdpCandidate *c = &m->candidates[i];
        if (c->component < 1 || c->component > 256)
            write_error(w, -EINVAL, "a=candidate: component %u is out of range", c->component);
        put(w, "a=candidate:%s %u %s %" PRIu32 " %s %u typ %s%s%s",
            tok(w, c->foundation, "a=candidate foundation"), c->component,
            tok(w, c->transport, "a=candidate transport"), c->priority,
            tok(w, c->address, "a=candidate address"), c->port, tok(w, c->type, "a=candidate type"),
            c->rest ? " " : "", c->rest ? val(w, c->rest, "a=candidate") : "");
    }
    if (m->end_of_candidates)
        put(w, "a=end-of-candidates");
}

static void write_media(Writer *w, const SdpMedia *m) {
    write_media_line(w, m);
    if (m->connection)
        put(w, "c=%s", val(w, m->connection, "c="));
    write_extra(w, m->extra, m->n_extra, false);
    write_transport(w, &m->transport);
    if (m->mid)
        put(w, "a=mid:%s", tok(w, m->mid, "a=mid"));
    for (size_t i = 0; limit(w, m->n_extmaps, LIMIT_EXTMAPS) && i < m->n_extmaps; i++)
        write_extmap(w, &m->extmaps[i]);
    write_direction(w, m->direction);
    for (size_t i = 0; limit(w, m->n_msids, LIMIT_MSIDS) && i < m->n_msids; i++)
        put(w, "a=msid:%s", val(w, m->msids[i], "a=msid"));
    if (m->rtcp_mux)
        put(w, "a=rtcp-mux");
    if (m->rtcp_rsize)
        put(w, "a=rtcp-rsize");
    for (size_t i = 0; i < m->n_codecs && !w->error; i++)
        write_codec(w, &m->codecs[i]);
    write_ssrcs(w, m);
    write_rids(w, m);
    if (m->sctp_port)
        put(w, "a=sctp-port:%u", m->sctp_port);
    if (m->has_max_message_size)
        put(w, "a=max-message-size:%" PRIu64, m->max_message_size);
    write_candidates(w, m);
    write_extra(w, m->extra, m->n_extra, true);
}

/* What the parser refuses across m-sections and within one: written, it would not come back. */
static void check_unique(Writer *w, const Sdp *sdp) {
    for (size_t i = 0; i < sdp->n_media; i++) {
        const SdpMedia *m = &sdp->media[i];
        for (size_t j = 0; j < i; j++)
            if (m->mid && sdp->media[j].mid && strcmp(m->mid, sdp->media[j].mid) == 0)
                write_error(w, -EINVAL, "a=mid:%.32s names two m-sections", m->mid);
        for (size_t j = 0; j < m->n_codecs; j++)
            for (size_t k = 0; k < j; k++)
                if (m->codecs[j].pt == m->codecs[k].pt)
                    write_error(w, -EINVAL, "m=: payload type %u is listed twice", m->codecs[j].pt);
        for (size_t j = 0; j < m->n_extmaps; j++)
            for (size_t k = 0; k < j; k++)
                if (m->extmaps[j].id == m->extmaps[k].id)
                    write_error(w, -EINVAL, "a=extmap: id %u is used twice", m->extmaps[j].id);
    }
    for (size_t i = 0; i < sdp->n_groups; i++)
        for (size_t j = 0; j < sdp->groups[i].n_mids; j++)
            if (sdp->groups[i].mids[j] && !sdp_find_mid(sdp, sdp->groups[i].mids[j]))
                write_error(w, -EINVAL, "a=group: mid \"%.32s\" names no m-section",
                            sdp->groups[i].mids[j]);
}

ssize_t sdp_write(const Sdp *sdp, char *buf, size_t size, char *err, size_t errlen) {
    Writer w = {.buf = buf, .size = size, .err = err, .errlen = errlen};
    write_session(&w, sdp);
    if (limit(&w, sdp->n_media, LIMIT_MEDIA))
        check_unique(&w, sdp);
    for (size_t i = 0; i < sdp->n_media && !w.error; i++)
        write_media(&w, &sdp->media[i]);
    if (!w.error && w.len > SDP_MAX_SIZE)
        write_error(&w, -E2BIG, "%zu bytes, more than %d (SDP_MAX_SIZE)", w.len, SDP_MAX_SIZE);
    if (size > 0)
        buf[w.len < size ? w.len : size - 1] = '\0';
    return w.error ? w.error : (ssize_t)w.len;
}

int sdp_generate(Arena *a, const Sdp *sdp, char **ret, size_t *ret_len, char *err, size_t errlen) {
    ssize_t n = sdp_write(sdp, NULL, 0, err, errlen);
    if (n < 0)
        return (int)n;
    char *text = arena_alloc(a, (size_t)n + 1);
    if (!text)
        return -ENOMEM;
    sdp_write(sdp, text, (size_t)n + 1, err, errlen);
    *ret = text;
    if (ret_len)
        *ret_len = (size_t)n;
    return 0;
}

/* ---- Equality --------------------------------------------------------------------------- */

static bool str_eq(const char *x, const char *y) {
    return x == y || (x && y && strcmp(x, y) == 0);
}

static bool strs_eq(char *const *x, size_t nx, char *const *y, size_t ny) {
    if (nx != ny)
        return false;
    for (size_t i = 0; i < nx; i++)
        if (!str_eq(x[i], y[i]))
            return false;
    return true;
}

/* The a= lines among extra lines in order, and the others in order: sdp_write puts the others
 * first. */
static bool extra_eq(char *const *x, size_t nx, char *const *y, size_t ny) {
    for (int attributes = 0; attributes < 2; attributes++) {
        size_t i = 0, j = 0;
        for (;; i++, j++) {
            while (i < nx && (x[i][0] == 'a') != attributes)
                i++;
            while (j < ny && (y[j][0] == 'a') != attributes)
                j++;
            if (i == nx || j == ny)
                break;
            if (!str_eq(x[i], y[j]))
                return false;
        }
        if (i != nx || j != ny)
            return false;
    }
    return true;
}

/* Arrays of structures compared element by element with eq. */
#define ARRAY_EQ(x, nx, y, ny, eq)                                                                 \
    ({                                                                                             \
        bool _eq_ = (nx) == (ny);                                                                  \
        for (size_t _i_ = 0; _eq_ && _i_ < (nx); _i_++)                                            \
            _eq_ = eq(&(x)[_i_], &(y)[_i_]);                                                       \
        _eq_;                                                                                      \
    })

static bool fingerprint_eq(const SdpFingerprint *x, const SdpFingerprint *y) {
    return str_eq(x->algorithm, y->algorithm) && str_eq(x->value, y->value);
}

static bool transport_eq(const SdpTransport *x, const SdpTransport *y) {
    return str_eq(x->ice_ufrag, y->ice_ufrag) && str_eq(x->ice_pwd, y->ice_pwd) &&
           str_eq(x->ice_options, y->ice_options) && x->setup == y->setup &&
           ARRAY_EQ(x->fingerprints, x->n_fingerprints, y->fingerprints, y->n_fingerprints,
                    fingerprint_eq);
}

static bool codec_eq(const SdpCodec *x, const SdpCodec *y) {
    return x->pt == y->pt && str_eq(x->name, y->name) && x->clock_rate == y->clock_rate &&
           x->channels == y->channels && str_eq(x->fmtp, y->fmtp) &&
           strs_eq(x->rtcp_fb, x->n_rtcp_fb, y->rtcp_fb, y->n_rtcp_fb);
}

static bool extmap_eq(const SdpExtmap *x, const SdpExtmap *y) {
    return x->id == y->id && x->direction == y->direction && str_eq(x->uri, y->uri) &&
           str_eq(x->attributes, y->attributes);
}

static bool ssrc_eq(const SdpSsrc *x, const SdpSsrc *y) {
    return x->ssrc == y->ssrc && str_eq(x->cname, y->cname) && str_eq(x->msid, y->msid);
}

static bool ssrc_group_eq(const SdpSsrcGroup *x, const SdpSsrcGroup *y) {
    return str_eq(x->semantics, y->semantics) && x->n_ssrcs == y->n_ssrcs &&
           (x->n_ssrcs == 0 || memcmp(x->ssrcs, y->ssrcs, x->n_ssrcs * sizeof(uint32_t)) == 0);
}

static bool rid_eq(const SdpRid *x, const SdpRid *y) {
    return str_eq(x->id, y->id) && x->direction == y->direction && str_eq(x->params, y->params);
}

static bool candidate_eq(const SdpCandidate *x, const SdpCandidate *y) {
    return str_eq(x->foundation, y->foundation) && x->component == y->component &&
           str_eq(x->transport, y->transport) && x->priority == y->priority &&
           str_eq(x->address, y->address) && x->port == y->port && str_eq(x->type, y->type) &&
           str_eq(x->rest, y->rest);
}

static bool group_eq(const SdpGroup *x, const SdpGroup *y) {
    return str_eq(x->semantics, y->semantics) && strs_eq(x->mids, x->n_mids, y->mids, y->n_mids);
}

static bool media_line_eq(const SdpMedia *x, const SdpMedia *y) {
    return x->kind == y->kind && str_eq(x->other_kind, y->other_kind) && x->port == y->port &&
           str_eq(x->protocol, y->protocol) && str_eq(x->formats, y->formats) &&
           ARRAY_EQ(x->codecs, x->n_codecs, y->codecs, y->n_codecs, codec_eq);
}

static bool media_eq(const SdpMedia *x, const SdpMedia *y) {
    return media_line_eq(x, y) && str_eq(x->connection, y->connection) && str_eq(x->mid, y->mid) &&
           x->direction == y->direction && x->rtcp_mux == y->rtcp_mux &&
           x->rtcp_rsize == y->rtcp_rsize && transport_eq(&x->transport, &y->transport) &&
           ARRAY_EQ(x->extmaps, x->n_extmaps, y->extmaps, y->n_extmaps, extmap_eq) &&
           strs_eq(x->msids, x->n_msids, y->msids, y->n_msids) &&
           ARRAY_EQ(x->ssrcs, x->n_ssrcs, y->ssrcs, y->n_ssrcs, ssrc_eq) &&
           ARRAY_EQ(x->ssrc_groups, x->n_ssrc_groups, y->ssrc_groups, y->n_ssrc_groups,
                    ssrc_group_eq) &&
           ARRAY_EQ(x->rids, x->n_rids, y->rids, y->n_rids, rid_eq) &&
           str_eq(x->simulcast, y->simulcast) &&
           ARRAY_EQ(x->candidates, x->n_candidates, y->candidates, y->n_candidates, candidate_eq) &&
           x->end_of_candidates == y->end_of_candidates && x->sctp_port == y->sctp_port &&
           x->has_max_message_size == y->has_max_message_size &&
           x->max_message_size == y->max_message_size &&
           extra_eq(x->extra, x->n_extra, y->extra, y->n_extra);
}

bool sdp_equal(const Sdp *x, const Sdp *y) {
    const SdpOrigin *ox = &x->origin, *oy = &y->origin;
    return str_eq(ox->username, oy->username) && ox->session_id == oy->session_id &&
           ox->session_version == oy->session_version && str_eq(ox->address, oy->address) &&
           str_eq(x->name, y->name) && str_eq(x->timing, y->timing) &&
           str_eq(x->connection, y->connection) && x->direction == y->direction &&
           x->ice_lite == y->ice_lite && transport_eq(&x->transport, &y->transport) &&
           ARRAY_EQ(x->groups, x->n_groups, y->groups, y->n_groups, group_eq) &&
           str_eq(x->msid_semantic, y->msid_semantic) &&
           extra_eq(x->extra, x->n_extra, y->extra, y->n_extra) &&
           ARRAY_EQ(x->media, x->n_media, y->media, y->n_media, media_eq);
}

/* ---- Lookups ---------------------------------------------------------------------------- */

const SdpMedia *sdp_find_mid(const Sdp *sdp, const char *mid) {
    for (size_t i = 0; mid && i < sdp->n_media; i++)
        if (sdp->media[i].mid && strcmp(sdp->media[i].mid, mid) == 0)
            return &sdp->media[i];
    return NULL;
}

const SdpCodec *sdp_find_codec(const SdpMedia *m, uint8_t pt) {
    for (size_t i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    return NULL;
}

const SdpSsrc *sdp_find_ssrc(const SdpMedia *m, uint32_t ssrc) {
    for (size_t i = 0; i < m->n_ssrcs; i++)
        if (m->ssrcs[i].ssrc == ssrc)
            return &m->ssrcs[i];
    return NULL;
}

const SdpGroup *sdp_find_group(const Sdp *sdp, const char *semantics) {
    for (size_t i = 0; i < sdp->n_groups; i++)
        if (sdp->groups[i].semantics && strcasecmp(sdp->groups[i].semantics, semantics) == 0)
            return &sdp->groups[i];
    return NULL;
}

int sdp_extmap_id(const SdpMedia *m, const char *uri) {
    for (size_t i = 0; i < m->n_extmaps; i++)
        if (str_eq(m->extmaps[i].uri, uri))
            return m->extmaps[i].id;
    return -ENOENT;
}

int sdp_rtx_ssrc(const SdpMedia *m, uint32_t ssrc, uint32_t *ret) {
    for (size_t i = 0; i < m->n_ssrc_groups; i++) {
        const SdpSsrcGroup *g = &m->ssrc_groups[i];
        if (str_eq(g->semantics, "FID") && g->n_ssrcs == 2 && g->ssrcs[0] == ssrc) {
            *ret = g->ssrcs[1];
            return 0;
        }
    }
    return -ENOENT;
}

void sdp_media_transport(const Sdp *sdp, const SdpMedia *m, SdpTransport *ret) {
    const SdpTransport *mt = &m->transport, *st = &sdp->transport;
    *ret = (SdpTransport){
        .ice_ufrag = mt->ice_ufrag ? mt->ice_ufrag : st->ice_ufrag,
        .ice_pwd = mt->ice_pwd ? mt->ice_pwd : st->ice_pwd,
        .ice_options = mt->ice_options ? mt->ice_options : st->ice_options,
        .fingerprints = mt->n_fingerprints ? mt->fingerprints : st->fingerprints,
        .n_fingerprints = mt->n_fingerprints ? mt->n_fingerprints : st->n_fingerprints,
        .setup = mt->setup ? mt->setup : st->setup,
    };
}

int sdp_fmtp_find(const char *fmtp, const char *key, const char **ret_value, size_t *ret_len) {
    size_t key_len = strlen(key);
    for (const char *p = fmtp; p && *p;) {
        p += strspn(p, "; ");
        size_t n = strcspn(p, ";");
        const char *eq = memchr(p, '=', n);
        if (eq && (size_t)(eq - p) == key_len && strncasecmp(p, key, key_len) == 0) {
            *ret_value = eq + 1;
            *ret_len = n - key_len - 1;
            return 0;
        }
        p += n;
    }
    return -ENOENT;
}

int sdp_fmtp_get_uint(const char *fmtp, const char *key, uint32_t *ret) {
    const char *value;
    size_t n;
    char digits[16];
    uint64_t v;
    int r = sdp_fmtp_find(fmtp, key, &value, &n);
    if (r < 0)
        return r;
    if (n >= sizeof(digits))
        return -EINVAL;
    memcpy(digits, value, n);
    digits[n] = '\0';
    if (parse_uint(digits, UINT32_MAX, &v) < 0)
        return -EINVAL;
    *ret = (uint32_t)v;
    return 0;
}

const char *sdp_direction_name(SdpDirection d) {
    return (size_t)d < ELEMENTSOF(direction_names) ? direction_names[d] : "";
}

const char *sdp_media_kind_name(const SdpMedia *m) {
    return (size_t)m->kind < ELEMENTSOF(kind_names) ? kind_names[m->kind] : m->other_kind;
}

SdpDirection sdp_direction_reverse(SdpDirection d) {
    return d == SDP_SENDONLY ? SDP_RECVONLY : d == SDP_RECVONLY ? SDP_SENDONLY : d;
}

int sdp_remote_transport(const Sdp *remote, const Sdp *answer, SdpTransport *ret) {
    const SdpGroup *bundle = sdp_find_group(answer, "BUNDLE");
    const SdpMedia *m = NULL;
    if (bundle && bundle->n_mids)
        m = sdp_find_mid(remote, bundle->mids[0]);
    else
        for (size_t i = 0; !m && i < answer->n_media && i < remote->n_media; i++)
            if (answer->media[i].port)
                m = &remote->media[i];
    if (!m)
        return -ENOENT;
    sdp_media_transport(remote, m, ret);
    return 0;
}
