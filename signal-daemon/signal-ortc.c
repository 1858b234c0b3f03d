/* signal-ortc: mediasoup's ortc.ts negotiation in C (see signal-ortc.h). The router's codecs are
 * one static table; everything read from a client is copied into fixed-size structs, bounded, so
 * that matching and output never see json-c again. */
#include "signal-ortc.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hype-json.h"
#include "hype-macro.h"

DEFINE_CLEANUP_FUNC(json_object, json_object_put)

#define URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define URI_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define URI_RRID "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
#define URI_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define URI_TCC "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

/* ---- the router's capabilities ---- */

typedef struct RouterCodec {
    OrtcKind kind;
    const char *mime_type;
    uint8_t payload_type;
    uint32_t clock_rate;
    uint8_t channels;
    const char *parameters; /* "k=v;k=v", numbers where all digits */
} RouterCodec;

/* mediasoup assigns preferredPayloadType from its dynamic range, 100 up, in order; each video
 * codec is followed by its rtx (apt = its payload type). */
static const RouterCodec router_codecs[] = {
    {ORTC_KIND_AUDIO, "audio/opus", 100, 48000, 2, "useinbandfec=1"},
    {ORTC_KIND_VIDEO, "video/VP8", 101, 90000, 0, ""},
    {ORTC_KIND_VIDEO, "video/rtx", 102, 90000, 0, "apt=101"},
    {ORTC_KIND_VIDEO, "video/H264", 103, 90000, 0,
     "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"},
    {ORTC_KIND_VIDEO, "video/rtx", 104, 90000, 0, "apt=103"},
};

static const OrtcFeedback audio_feedback[] = {{"transport-cc", ""}};
static const OrtcFeedback video_feedback[] = {
    {"nack", ""}, {"nack", "pli"}, {"ccm", "fir"}, {"goog-remb", ""}, {"transport-cc", ""},
};

typedef struct RouterExtension {
    OrtcKind kind;
    const char *uri;
    uint8_t id;
    OrtcDirection direction; /* the router's: sendrecv and sendonly ones reach consumers */
} RouterExtension;

/* The ids and directions of mediasoup 3.27's supportedRtpCapabilities (sfu-facts.md 3.1). */
static const RouterExtension router_extensions[] = {
    {ORTC_KIND_AUDIO, URI_MID, 1, ORTC_DIRECTION_SENDRECV},
    {ORTC_KIND_VIDEO, URI_MID, 1, ORTC_DIRECTION_SENDRECV},
    {ORTC_KIND_VIDEO, URI_RID, 2, ORTC_DIRECTION_RECVONLY},
    {ORTC_KIND_VIDEO, URI_RRID, 3, ORTC_DIRECTION_RECVONLY},
    {ORTC_KIND_AUDIO, URI_ABS_SEND_TIME, 4, ORTC_DIRECTION_SENDRECV},
    {ORTC_KIND_VIDEO, URI_ABS_SEND_TIME, 4, ORTC_DIRECTION_SENDRECV},
    {ORTC_KIND_AUDIO, URI_TCC, 5, ORTC_DIRECTION_RECVONLY},
    {ORTC_KIND_VIDEO, URI_TCC, 5, ORTC_DIRECTION_SENDRECV},
    {ORTC_KIND_AUDIO, URI_AUDIO_LEVEL, 6, ORTC_DIRECTION_SENDRECV},
};

static const char *const direction_names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

OrtcKind ortc_kind_from_string(const char *s) {
    if (s && strcmp(s, "audio") == 0)
        return ORTC_KIND_AUDIO;
    if (s && strcmp(s, "video") == 0)
        return ORTC_KIND_VIDEO;
    return ORTC_KIND_NONE;
}

const char *ortc_kind_to_string(OrtcKind kind) {
    return kind == ORTC_KIND_AUDIO ? "audio" : kind == ORTC_KIND_VIDEO ? "video" : "none";
}

static bool all_digits(const char *s) {
    if (!*s || strlen(s) > 15)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* "k=v;k=v" into codec->parameters (the static table only: always fits). */
static void parse_fmtp(const char *fmtp, OrtcCodec *codec) {
    const char *p = fmtp;
    while (*p && codec->n_parameters < ORTC_MAX_PARAMETERS) {
        const char *end = strchrnul(p, ';'), *eq = memchr(p, '=', (size_t)(end - p));
        OrtcParameter *param = &codec->parameters[codec->n_parameters++];
        if (!eq)
            eq = end;
        snprintf(param->key, sizeof(param->key), "%.*s", (int)(eq - p), p);
        snprintf(param->value, sizeof(param->value), "%.*s", (int)(end - eq - (eq < end)),
                 eq + (eq < end));
        param->numeric = all_digits(param->value);
        p = *end ? end + 1 : end;
    }
}

static void router_codec(const RouterCodec *rc, OrtcCodec *ret) {
    *ret = (OrtcCodec){.kind = rc->kind,
                       .payload_type = rc->payload_type,
                       .clock_rate = rc->clock_rate,
                       .channels = rc->channels};
    snprintf(ret->mime_type, sizeof(ret->mime_type), "%s", rc->mime_type);
    parse_fmtp(rc->parameters, ret);
    if (strcasecmp(rc->mime_type, "video/rtx") == 0)
        return;
    const OrtcFeedback *fb = rc->kind == ORTC_KIND_AUDIO ? audio_feedback : video_feedback;
    ret->n_feedback =
        rc->kind == ORTC_KIND_AUDIO ? ELEMENTSOF(audio_feedback) : ELEMENTSOF(video_feedback);
    memcpy(ret->feedback, fb, ret->n_feedback * sizeof(*fb));
}

static json_object *parameters_json(const OrtcCodec *codec) {
    json_object *o = json_object_new_object();
    for (size_t i = 0; o && i < codec->n_parameters; i++) {
        const OrtcParameter *p = &codec->parameters[i];
        json_object *v = p->numeric ? json_object_new_int64(strtoll(p->value, NULL, 10))
                                    : json_object_new_string(p->value);
        if (!v || json_object_object_add(o, p->key, v) < 0) {
            json_object_put(v);
            json_object_put(o);
            return NULL;
        }
    }
    return o;
}

static json_object *feedback_json(const OrtcCodec *codec) {
    json_object *a = json_object_new_array();
    for (size_t i = 0; a && i < codec->n_feedback; i++) {
        json_object *fb = json_object_new_object();
        if (!fb || json_object_array_add(a, fb) < 0) {
            json_object_put(fb);
            json_object_put(a);
            return NULL;
        }
        json_object_object_add(fb, "type", json_object_new_string(codec->feedback[i].type));
        json_object_object_add(fb, "parameter",
                               json_object_new_string(codec->feedback[i].parameter));
    }
    return a;
}

/* Adds v to o under key; false (v put) on OOM. */
static bool add(json_object *o, const char *key, json_object *v) {
    if (!v)
        return false;
    if (json_object_object_add(o, key, v) < 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

static bool push(json_object *a, json_object *v) {
    if (!v)
        return false;
    if (json_object_array_add(a, v) < 0) {
        json_object_put(v);
        return false;
    }
    return true;
}

json_object *ortc_router_capabilities(void) {
    _cleanup_(json_object_putp) json_object *caps = json_object_new_object();
    json_object *codecs = json_object_new_array(), *exts = json_object_new_array();
    if (!caps || !add(caps, "codecs", codecs) || !add(caps, "headerExtensions", exts))
        return NULL;
    for (size_t i = 0; i < ELEMENTSOF(router_codecs); i++) {
        OrtcCodec c;
        router_codec(&router_codecs[i], &c);
        json_object *o = json_object_new_object();
        if (!push(codecs, o) ||
            !add(o, "kind", json_object_new_string(ortc_kind_to_string(c.kind))) ||
            !add(o, "mimeType", json_object_new_string(c.mime_type)) ||
            !add(o, "preferredPayloadType", json_object_new_int(c.payload_type)) ||
            !add(o, "clockRate", json_object_new_int64(c.clock_rate)) ||
            (c.kind == ORTC_KIND_AUDIO && !add(o, "channels", json_object_new_int(c.channels))) ||
            !add(o, "parameters", parameters_json(&c)) ||
            !add(o, "rtcpFeedback", feedback_json(&c)))
            return NULL;
    }
    for (size_t i = 0; i < ELEMENTSOF(router_extensions); i++) {
        const RouterExtension *e = &router_extensions[i];
        json_object *o = json_object_new_object();
        if (!push(exts, o) ||
            !add(o, "kind", json_object_new_string(ortc_kind_to_string(e->kind))) ||
            !add(o, "uri", json_object_new_string(e->uri)) ||
            !add(o, "preferredId", json_object_new_int(e->id)) ||
            !add(o, "preferredEncrypt", json_object_new_boolean(false)) ||
            !add(o, "direction", json_object_new_string(direction_names[e->direction])))
            return NULL;
    }
    return TAKE_PTR(caps);
}

/* ---- reading what clients send ---- */

/* Where a parser is, for messages: "codecs[1].parameters.apt". */
typedef struct Ctx {
    char *err;
    size_t err_size;
    char path[128];
} Ctx;

_printf_(3, 4) static int fail(Ctx *ctx, int r, const char *fmt, ...) {
    va_list ap;
    int n = snprintf(ctx->err, ctx->err_size, "%s", ctx->path);
    if (n < 0 || (size_t)n >= ctx->err_size)
        return r;
    va_start(ap, fmt);
    vsnprintf(ctx->err + n, ctx->err_size - (size_t)n, fmt, ap);
    va_end(ap);
    return r;
}

/* Appends ".name" or "[i]" to the path; returns the old length, for pop(). */
static size_t push_path(Ctx *ctx, const char *name, size_t index) {
    size_t len = strlen(ctx->path);
    if (name)
        snprintf(ctx->path + len, sizeof(ctx->path) - len, "%s%s", len ? "." : "", name);
    else
        snprintf(ctx->path + len, sizeof(ctx->path) - len, "[%zu]", index);
    return len;
}

static void pop_path(Ctx *ctx, size_t len) {
    ctx->path[len] = '\0';
}

/* A member's value (NULL when absent or JSON null: both mean "not given"). */
static json_object *member(json_object *o, const char *key) {
    return json_get(o, key);
}

/* A JSON integer within [min, max] (a double with an integral value counts). */
static bool as_uint(json_object *v, uint64_t min, uint64_t max, uint64_t *ret) {
    if (json_object_is_type(v, json_type_int)) {
        errno = 0;
        int64_t i = json_object_get_int64(v);
        if (i < 0) /* json-c keeps large positives as uint64 */
            return false;
        uint64_t u = (uint64_t)i;
        if (i == INT64_MAX)
            u = json_object_get_uint64(v);
        if (u < min || u > max)
            return false;
        *ret = u;
        return true;
    }
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);
        if (!isfinite(d) || d != floor(d) || d < (double)min || d > (double)max)
            return false;
        *ret = (uint64_t)d;
        return true;
    }
    return false;
}

/* A required (or optional: *ret unchanged when absent) integer member. */
static int get_uint(Ctx *ctx, json_object *o, const char *key, bool required, uint64_t min,
                    uint64_t max, uint64_t *ret) {
    json_object *v = member(o, key);
    size_t len;
    if (!v && !required)
        return 0;
    len = push_path(ctx, key, 0);
    if (!v)
        return fail(ctx, -EINVAL, " is required");
    if (!as_uint(v, min, max, ret))
        return fail(ctx, -EINVAL, " must be an integer from %" PRIu64 " to %" PRIu64, min, max);
    pop_path(ctx, len);
    return 0;
}

/* A string value into dst (NUL bytes refused). */
static int copy_string(Ctx *ctx, json_object *v, char *dst, size_t size) {
    if (!json_object_is_type(v, json_type_string))
        return fail(ctx, -EINVAL, " must be a string");
    size_t n = (size_t)json_object_get_string_len(v);
    const char *s = json_object_get_string(v);
    if (n >= size)
        return fail(ctx, -E2BIG, " is longer than %zu bytes", size - 1);
    if (memchr(s, '\0', n))
        return fail(ctx, -EINVAL, " must not contain NUL");
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int get_string(Ctx *ctx, json_object *o, const char *key, bool required, char *dst,
                      size_t size) {
    json_object *v = member(o, key);
    int r;
    if (!v && !required)
        return 0;
    size_t len = push_path(ctx, key, 0);
    if (!v)
        return fail(ctx, -EINVAL, " is required");
    r = copy_string(ctx, v, dst, size);
    if (r < 0)
        return r;
    pop_path(ctx, len);
    return 0;
}

static int get_bool(Ctx *ctx, json_object *o, const char *key, bool *ret) {
    json_object *v = member(o, key);
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_boolean)) {
        push_path(ctx, key, 0);
        return fail(ctx, -EINVAL, " must be a boolean");
    }
    *ret = json_object_get_boolean(v);
    return 0;
}

/* An optional array member with at most max items: its length (0 when absent). */
static int get_array(Ctx *ctx, json_object *o, const char *key, size_t max, json_object **ret) {
    json_object *v = member(o, key);
    *ret = v;
    if (!v)
        return 0;
    if (!json_object_is_type(v, json_type_array)) {
        push_path(ctx, key, 0);
        return fail(ctx, -EINVAL, " must be an array");
    }
    size_t n = json_object_array_length(v);
    if (n > max) {
        push_path(ctx, key, 0);
        return fail(ctx, -E2BIG, " has more than %zu entries", max);
    }
    return (int)n;
}

static int need_object(Ctx *ctx, json_object *v) {
    return json_object_is_type(v, json_type_object) ? 0 : fail(ctx, -EINVAL, " must be an object");
}

static bool is_rtx(const OrtcCodec *c) {
    const char *slash = strchr(c->mime_type, '/');
    return slash && strcasecmp(slash + 1, "rtx") == 0;
}

static const OrtcParameter *find_parameter(const OrtcCodec *c, const char *key) {
    for (size_t i = 0; i < c->n_parameters; i++)
        if (strcmp(c->parameters[i].key, key) == 0)
            return &c->parameters[i];
    return NULL;
}

static int parse_parameters(Ctx *ctx, json_object *o, OrtcCodec *codec) {
    json_object *params = member(o, "parameters");
    int r;
    if (!params)
        return 0;
    size_t len = push_path(ctx, "parameters", 0);
    r = need_object(ctx, params);
    if (r < 0)
        return r;
    json_object_object_foreach(params, key, value) {
        if (codec->n_parameters == ORTC_MAX_PARAMETERS)
            return fail(ctx, -E2BIG, " has more than %d entries", ORTC_MAX_PARAMETERS);
        OrtcParameter *p = &codec->parameters[codec->n_parameters];
        size_t klen = push_path(ctx, key, 0);
        /* the worker gets "k=v;k=v": no separators in names either */
        if (strlen(key) >= sizeof(p->key) || !*key || strpbrk(key, ";= \r\n"))
            return fail(ctx, -EINVAL, ": bad parameter name");
        strcpy(p->key, key);
        uint64_t u;
        if (as_uint(value, 0, UINT32_MAX, &u)) {
            snprintf(p->value, sizeof(p->value), "%" PRIu64, u);
            p->numeric = true;
        } else if (json_object_is_type(value, json_type_string)) {
            r = copy_string(ctx, value, p->value, sizeof(p->value));
            if (r < 0)
                return r;
            /* fmtp must stay one line of k=v;k=v for the worker */
            if (strpbrk(p->value, ";=\r\n"))
                return fail(ctx, -EINVAL, " must not contain ';', '=' or a line break");
        } else
            return fail(ctx, -EINVAL, " must be a string or a non-negative integer");
        if (strcmp(key, "apt") == 0 && (!p->numeric || u > 127))
            return fail(ctx, -EINVAL, " must be a payload type number");
        codec->n_parameters++;
        pop_path(ctx, klen);
    }
    pop_path(ctx, len);
    return 0;
}

/* Calls item(ctx, value, i, userdata) on each entry of the optional array member key (at most
 * max: -E2BIG), the path naming "key[i]" meanwhile; the number of entries, or an error. */
typedef int (*item_fn)(Ctx *ctx, json_object *value, size_t i, void *userdata);
static int each(Ctx *ctx, json_object *o, const char *key, size_t max, item_fn item,
                void *userdata) {
    json_object *arr;
    int n = get_array(ctx, o, key, max, &arr), r;
    if (n < 0)
        return n;
    size_t len = push_path(ctx, key, 0);
    for (int i = 0; i < n; i++) {
        size_t ilen = push_path(ctx, NULL, (size_t)i);
        r = item(ctx, json_object_array_get_idx(arr, (size_t)i), (size_t)i, userdata);
        if (r < 0)
            return r;
        pop_path(ctx, ilen);
    }
    pop_path(ctx, len);
    return n;
}

static int feedback_item(Ctx *ctx, json_object *fb, size_t i, void *userdata) {
    OrtcFeedback *f = &((OrtcCodec *)userdata)->feedback[i];
    int r;
    *f = (OrtcFeedback){0};
    if ((r = need_object(ctx, fb)) < 0 ||
        (r = get_string(ctx, fb, "type", true, f->type, sizeof(f->type))) < 0 ||
        (r = get_string(ctx, fb, "parameter", false, f->parameter, sizeof(f->parameter))) < 0)
        return r;
    return 0;
}

static int parse_feedback(Ctx *ctx, json_object *o, OrtcCodec *codec) {
    int n = each(ctx, o, "rtcpFeedback", ORTC_MAX_FEEDBACK, feedback_item, codec);
    if (n < 0)
        return n;
    codec->n_feedback = (size_t)n;
    return 0;
}

/* One codec; caps: preferredPayloadType instead of payloadType. */
static int parse_codec(Ctx *ctx, json_object *o, bool caps, OrtcCodec *c) {
    uint64_t pt = 0, rate = 0, channels = 1;
    int r;
    *c = (OrtcCodec){0};
    if ((r = need_object(ctx, o)) < 0 ||
        (r = get_string(ctx, o, "mimeType", true, c->mime_type, sizeof(c->mime_type))) < 0)
        return r;
    if (strncmp(c->mime_type, "audio/", 6) == 0 && c->mime_type[6])
        c->kind = ORTC_KIND_AUDIO;
    else if (strncmp(c->mime_type, "video/", 6) == 0 && c->mime_type[6])
        c->kind = ORTC_KIND_VIDEO;
    else {
        push_path(ctx, "mimeType", 0);
        return fail(ctx, -EINVAL, " must be audio/<name> or video/<name>");
    }
    if ((r = get_uint(ctx, o, caps ? "preferredPayloadType" : "payloadType", true, 0, 127, &pt)) <
            0 ||
        (r = get_uint(ctx, o, "clockRate", true, 1, 10000000, &rate)) < 0 ||
        (c->kind == ORTC_KIND_AUDIO &&
         (r = get_uint(ctx, o, "channels", false, 1, 8, &channels)) < 0) ||
        (r = parse_parameters(ctx, o, c)) < 0 || (r = parse_feedback(ctx, o, c)) < 0)
        return r;
    c->payload_type = (uint8_t)pt;
    c->clock_rate = (uint32_t)rate;
    c->channels = c->kind == ORTC_KIND_AUDIO ? (uint8_t)channels : 0;
    if (is_rtx(c) && !find_parameter(c, "apt")) {
        push_path(ctx, "parameters.apt", 0);
        return fail(ctx, -EINVAL, " is required for rtx");
    }
    if (caps) {
        char kind[8] = "";
        if ((r = get_string(ctx, o, "kind", false, kind, sizeof(kind))) < 0)
            return r;
        if (*kind && ortc_kind_from_string(kind) != c->kind) {
            push_path(ctx, "kind", 0);
            return fail(ctx, -EINVAL, " must be the mimeType's kind");
        }
    }
    return 0;
}

/* What codec_item and extension_item fill: capabilities or parameters. */
typedef struct List {
    bool caps;
    void *items;
} List;

static int codec_item(Ctx *ctx, json_object *o, size_t i, void *userdata) {
    List *list = userdata;
    OrtcCodec *codecs = list->items;
    int r = parse_codec(ctx, o, list->caps, &codecs[i]);
    if (r < 0)
        return r;
    for (size_t j = 0; j < i; j++)
        if (codecs[j].payload_type == codecs[i].payload_type)
            return fail(ctx, -EINVAL, " repeats payload type %u", codecs[i].payload_type);
    return 0;
}

static int parse_codecs(Ctx *ctx, json_object *o, bool caps, size_t *ret_n, OrtcCodec *codecs) {
    List list = {caps, codecs};
    if (!caps && !member(o, "codecs")) {
        push_path(ctx, "codecs", 0);
        return fail(ctx, -EINVAL, " is required");
    }
    int n =
        each(ctx, o, "codecs", caps ? ORTC_MAX_CAPS_CODECS : ORTC_MAX_CODECS, codec_item, &list);
    if (n < 0)
        return n;
    *ret_n = (size_t)n;
    return 0;
}

static int parse_extension(Ctx *ctx, json_object *o, bool caps, OrtcHeaderExtension *e) {
    uint64_t id = 0;
    int r;
    *e = (OrtcHeaderExtension){0};
    if ((r = need_object(ctx, o)) < 0 ||
        (r = get_string(ctx, o, "uri", true, e->uri, sizeof(e->uri))) < 0 ||
        (r = get_uint(ctx, o, caps ? "preferredId" : "id", true, 1, 255, &id)) < 0 ||
        (r = get_bool(ctx, o, caps ? "preferredEncrypt" : "encrypt", &e->encrypt)) < 0)
        return r;
    e->id = (uint8_t)id;
    if (!*e->uri) {
        push_path(ctx, "uri", 0);
        return fail(ctx, -EINVAL, " must not be empty");
    }
    if (!caps)
        return 0;
    char kind[8] = "", direction[12] = "";
    if ((r = get_string(ctx, o, "kind", true, kind, sizeof(kind))) < 0)
        return r;
    if (!(e->kind = ortc_kind_from_string(kind))) {
        push_path(ctx, "kind", 0);
        return fail(ctx, -EINVAL, " must be \"audio\" or \"video\"");
    }
    if ((r = get_string(ctx, o, "direction", false, direction, sizeof(direction))) < 0)
        return r;
    if (!*direction)
        return 0;
    for (size_t i = 0; i < ELEMENTSOF(direction_names); i++)
        if (strcmp(direction, direction_names[i]) == 0) {
            e->direction = (OrtcDirection)i;
            return 0;
        }
    push_path(ctx, "direction", 0);
    return fail(ctx, -EINVAL, " must be sendrecv, sendonly, recvonly or inactive");
}

static int extension_item(Ctx *ctx, json_object *o, size_t i, void *userdata) {
    List *list = userdata;
    OrtcHeaderExtension *exts = list->items;
    int r = parse_extension(ctx, o, list->caps, &exts[i]);
    if (r < 0)
        return r;
    /* one id per extension (per kind in capabilities) */
    for (size_t j = 0; j < i; j++)
        if (exts[j].id == exts[i].id && exts[j].kind == exts[i].kind &&
            strcmp(exts[j].uri, exts[i].uri) != 0)
            return fail(ctx, -EINVAL, " repeats id %u", exts[i].id);
    return 0;
}

static int parse_extensions(Ctx *ctx, json_object *o, bool caps, size_t *ret_n,
                            OrtcHeaderExtension *exts) {
    List list = {caps, exts};
    int n = each(ctx, o, "headerExtensions", ORTC_MAX_HEADER_EXTENSIONS, extension_item, &list);
    if (n < 0)
        return n;
    *ret_n = (size_t)n;
    return 0;
}

static int parse_encoding(Ctx *ctx, json_object *o, OrtcEncoding *e) {
    uint64_t ssrc = 0, rtx = 0, bitrate = 0;
    json_object *rtxo;
    int r;
    *e = (OrtcEncoding){0};
    if ((r = need_object(ctx, o)) < 0 ||
        (r = get_uint(ctx, o, "ssrc", false, 1, UINT32_MAX, &ssrc)) < 0 ||
        (r = get_string(ctx, o, "rid", false, e->rid, sizeof(e->rid))) < 0 ||
        (r = get_bool(ctx, o, "dtx", &e->dtx)) < 0 ||
        (r = get_uint(ctx, o, "maxBitrate", false, 0, UINT32_MAX, &bitrate)) < 0 ||
        (r = get_string(ctx, o, "scalabilityMode", false, e->scalability_mode,
                        sizeof(e->scalability_mode))) < 0)
        return r;
    if ((rtxo = member(o, "rtx"))) {
        size_t len = push_path(ctx, "rtx", 0);
        if ((r = need_object(ctx, rtxo)) < 0 ||
            (r = get_uint(ctx, rtxo, "ssrc", true, 1, UINT32_MAX, &rtx)) < 0)
            return r;
        pop_path(ctx, len);
    }
    e->ssrc = (uint32_t)ssrc;
    e->rtx_ssrc = (uint32_t)rtx;
    e->max_bitrate = (uint32_t)bitrate;
    if (!e->ssrc && !*e->rid)
        return fail(ctx, -EINVAL, " needs an ssrc or a rid");
    if (e->rtx_ssrc && e->rtx_ssrc == e->ssrc)
        return fail(ctx, -EINVAL, ".rtx.ssrc must differ from its ssrc");
    return 0;
}

static int encoding_item(Ctx *ctx, json_object *o, size_t i, void *userdata) {
    OrtcEncoding *encs = userdata, *e = &encs[i];
    int r = parse_encoding(ctx, o, e);
    if (r < 0)
        return r;
    /* one way of telling layers apart for all: mediasoup's rule */
    if (i > 0 && !e->ssrc != !encs[0].ssrc)
        return fail(ctx, -EINVAL, " must use ssrc or rid as encodings[0] does");
    for (size_t j = 0; j < i; j++)
        if ((e->ssrc && (e->ssrc == encs[j].ssrc || e->ssrc == encs[j].rtx_ssrc)) ||
            (!e->ssrc && strcmp(e->rid, encs[j].rid) == 0))
            return fail(ctx, -EINVAL, " repeats another encoding's ssrc or rid");
    return 0;
}

static int parse_encodings(Ctx *ctx, json_object *o, OrtcRtpParameters *p) {
    int n = each(ctx, o, "encodings", ORTC_MAX_ENCODINGS, encoding_item, p->encodings);
    if (n < 0)
        return n;
    if (n == 0) {
        push_path(ctx, "encodings", 0);
        return fail(ctx, -EINVAL, " must have at least one encoding");
    }
    p->n_encodings = (size_t)n;
    return 0;
}

int ortc_parse_rtp_parameters(json_object *json, OrtcKind kind, OrtcRtpParameters *ret, char *err,
                              size_t err_size) {
    Ctx ctx = {err, err_size, "rtpParameters"};
    json_object *rtcp;
    int r;
    memset(ret, 0, sizeof(*ret));
    ret->rtcp_reduced_size = true;
    if ((r = need_object(&ctx, json)) < 0 ||
        (r = get_string(&ctx, json, "mid", false, ret->mid, sizeof(ret->mid))) < 0 ||
        (r = parse_codecs(&ctx, json, false, &ret->n_codecs, ret->codecs)) < 0 ||
        (r = parse_extensions(&ctx, json, false, &ret->n_header_extensions,
                              ret->header_extensions)) < 0 ||
        (r = parse_encodings(&ctx, json, ret)) < 0)
        return r;
    if (ret->n_codecs == 0)
        return fail(&ctx, -EINVAL, ".codecs must have at least one codec");
    for (size_t i = 0; i < ret->n_codecs; i++)
        if (ret->codecs[i].kind != kind)
            return fail(&ctx, -EINVAL, ".codecs[%zu].mimeType is not of kind %s", i,
                        ortc_kind_to_string(kind));
    if (is_rtx(&ret->codecs[0]))
        return fail(&ctx, -EINVAL, ".codecs[0] must be a media codec, not rtx");
    if ((rtcp = member(json, "rtcp"))) {
        size_t len = push_path(&ctx, "rtcp", 0);
        if ((r = need_object(&ctx, rtcp)) < 0 ||
            (r = get_string(&ctx, rtcp, "cname", false, ret->rtcp_cname, sizeof(ret->rtcp_cname))) <
                0 ||
            (r = get_bool(&ctx, rtcp, "reducedSize", &ret->rtcp_reduced_size)) < 0)
            return r;
        pop_path(&ctx, len);
    }
    return 0;
}

int ortc_parse_rtp_capabilities(json_object *json, OrtcRtpCapabilities *ret, char *err,
                                size_t err_size) {
    Ctx ctx = {err, err_size, "rtpCapabilities"};
    int r;
    memset(ret, 0, sizeof(*ret));
    if ((r = need_object(&ctx, json)) < 0 ||
        (r = parse_codecs(&ctx, json, true, &ret->n_codecs, ret->codecs)) < 0 ||
        (r = parse_extensions(&ctx, json, true, &ret->n_header_extensions,
                              ret->header_extensions)) < 0)
        return r;
    return 0;
}

/* ---- matching ---- */

/* H264 profiles from profile-level-id (RFC 6184 and h264-profile-level-id's table): profile_idc
 * and a mask/value over profile_iop. */
enum { H264_NONE, H264_CB, H264_BASELINE, H264_MAIN, H264_HIGH, H264_CHIGH };
static const struct {
    uint8_t idc, mask, value;
    int profile;
} h264_profiles[] = {
    {0x42, 0x4f, 0x40, H264_CB},       {0x4d, 0x8f, 0x80, H264_CB},
    {0x58, 0xcf, 0xc0, H264_CB},       {0x42, 0x4f, 0x00, H264_BASELINE},
    {0x58, 0xcf, 0x80, H264_BASELINE}, {0x4d, 0xaf, 0x00, H264_MAIN},
    {0x64, 0xff, 0x00, H264_HIGH},     {0x64, 0xff, 0x0c, H264_CHIGH},
};

static int h264_profile(const OrtcCodec *c) {
    const OrtcParameter *p = find_parameter(c, "profile-level-id");
    const char *s = p ? p->value : "42e01f"; /* RFC 6184's default */
    unsigned idc, iop, level;
    if (strlen(s) != 6 || strspn(s, "0123456789abcdefABCDEF") != 6 ||
        sscanf(s, "%2x%2x%2x", &idc, &iop, &level) != 3)
        return H264_NONE;
    for (size_t i = 0; i < ELEMENTSOF(h264_profiles); i++)
        if (h264_profiles[i].idc == idc && (iop & h264_profiles[i].mask) == h264_profiles[i].value)
            return h264_profiles[i].profile;
    return H264_NONE;
}

static const char *parameter_or(const OrtcCodec *c, const char *key, const char *dflt) {
    const OrtcParameter *p = find_parameter(c, key);
    return p ? p->value : dflt;
}

/* mediasoup's matchCodecs (strict): same mime type, clock rate, channels; H264 same
 * packetization-mode and profile. rtx codecs match on mime type and clock rate only. */
static bool codecs_match(const OrtcCodec *a, const OrtcCodec *b) {
    if (strcasecmp(a->mime_type, b->mime_type) != 0 || a->clock_rate != b->clock_rate ||
        a->channels != b->channels)
        return false;
    if (strcasecmp(a->mime_type, "video/H264") == 0) {
        int pa = h264_profile(a);
        if (strcmp(parameter_or(a, "packetization-mode", "0"),
                   parameter_or(b, "packetization-mode", "0")) != 0 ||
            pa == H264_NONE || pa != h264_profile(b))
            return false;
    }
    return true;
}

static int apt_of(const OrtcCodec *c) {
    const OrtcParameter *p = find_parameter(c, "apt");
    return p && p->numeric ? atoi(p->value) : -1;
}

/* ---- producing ---- */

/* A nonzero random SSRC not yet in used[0..n). */
static uint32_t fresh_ssrc(ortc_random_fn rnd, void *userdata, const uint32_t *used, size_t n) {
    for (;;) {
        uint32_t s = rnd(userdata);
        bool taken = s == 0;
        for (size_t i = 0; i < n && !taken; i++)
            taken = used[i] == s;
        if (!taken)
            return s;
    }
}

static void set_parameter(OrtcCodec *c, const char *key, unsigned value) {
    OrtcParameter *p = (OrtcParameter *)find_parameter(c, key);
    if (!p) {
        if (c->n_parameters == ORTC_MAX_PARAMETERS)
            return;
        p = &c->parameters[c->n_parameters++];
        snprintf(p->key, sizeof(p->key), "%s", key);
    }
    snprintf(p->value, sizeof(p->value), "%u", value);
    p->numeric = true;
}

static void make_consumable(OrtcKind kind, const OrtcRtpParameters *rtp,
                            const OrtcRtpMapping *mapping, const OrtcCodec *router,
                            OrtcRtpParameters *ret, ortc_random_fn rnd, void *userdata) {
    memset(ret, 0, sizeof(*ret));
    for (size_t i = 0; i < rtp->n_codecs; i++) {
        OrtcCodec *c = &ret->codecs[ret->n_codecs++];
        *c = rtp->codecs[i];
        c->payload_type = mapping->codecs[i].mapped_payload_type;
        /* the router's feedback; rtx points at the mapped media codec */
        for (size_t j = 0; j < ELEMENTSOF(router_codecs); j++)
            if (router[j].payload_type == c->payload_type) {
                c->n_feedback = router[j].n_feedback;
                memcpy(c->feedback, router[j].feedback, sizeof(c->feedback));
            }
        for (size_t j = 0; is_rtx(c) && j < ELEMENTSOF(router_codecs); j++)
            if (router[j].payload_type == c->payload_type)
                set_parameter(c, "apt", (unsigned)apt_of(&router[j]));
    }
    for (size_t i = 0; i < ELEMENTSOF(router_extensions); i++) {
        const RouterExtension *e = &router_extensions[i];
        if (e->kind != kind ||
            (e->direction != ORTC_DIRECTION_SENDRECV && e->direction != ORTC_DIRECTION_SENDONLY))
            continue;
        OrtcHeaderExtension *x = &ret->header_extensions[ret->n_header_extensions++];
        *x = (OrtcHeaderExtension){.kind = kind, .id = e->id, .direction = e->direction};
        snprintf(x->uri, sizeof(x->uri), "%s", e->uri);
    }
    for (size_t i = 0; i < rtp->n_encodings; i++) {
        OrtcEncoding *e = &ret->encodings[ret->n_encodings++];
        *e = (OrtcEncoding){.ssrc = mapping->encodings[i].mapped_ssrc,
                            .dtx = rtp->encodings[i].dtx,
                            .max_bitrate = rtp->encodings[i].max_bitrate};
        memcpy(e->scalability_mode, rtp->encodings[i].scalability_mode,
               sizeof(e->scalability_mode));
    }
    if (*rtp->rtcp_cname)
        memcpy(ret->rtcp_cname, rtp->rtcp_cname, sizeof(ret->rtcp_cname));
    else
        snprintf(ret->rtcp_cname, sizeof(ret->rtcp_cname), "%08x%08x", rnd(userdata),
                 rnd(userdata));
    ret->rtcp_reduced_size = true;
}

int ortc_producer_mapping(OrtcKind kind, const OrtcRtpParameters *rtp, ortc_random_fn rnd,
                          void *userdata, OrtcRtpMapping *ret_mapping,
                          OrtcRtpParameters *ret_consumable, char *err, size_t err_size) {
    Ctx ctx = {err, err_size, "rtpParameters"};
    OrtcCodec router[ELEMENTSOF(router_codecs)];
    OrtcRtpMapping m = {0};
    bool any = false;
    if (kind != ORTC_KIND_AUDIO && kind != ORTC_KIND_VIDEO)
        return fail(&ctx, -EINVAL, ": kind must be \"audio\" or \"video\"");
    for (size_t j = 0; j < ELEMENTSOF(router_codecs); j++) {
        router_codec(&router_codecs[j], &router[j]);
        any = any || router[j].kind == kind;
    }
    if (!any)
        return fail(&ctx, -ENOTSUP, ": the router has no %s codec", ortc_kind_to_string(kind));
    for (size_t i = 0; i < rtp->n_codecs; i++) {
        const OrtcCodec *c = &rtp->codecs[i];
        if (c->kind != kind)
            return fail(&ctx, -EINVAL, ".codecs[%zu] is not of kind %s", i,
                        ortc_kind_to_string(kind));
        m.codecs[i].payload_type = c->payload_type;
        if (is_rtx(c))
            continue; /* once every media codec is mapped */
        size_t j;
        for (j = 0; j < ELEMENTSOF(router_codecs); j++)
            if (!is_rtx(&router[j]) && codecs_match(c, &router[j]))
                break;
        if (j == ELEMENTSOF(router_codecs))
            return fail(&ctx, -ENOTSUP, ".codecs[%zu]: the router does not support %s/%u%s", i,
                        c->mime_type, c->clock_rate,
                        c->kind == ORTC_KIND_AUDIO ? " with these channels"
                                                   : " with these parameters");
        m.codecs[i].mapped_payload_type = router[j].payload_type;
    }
    for (size_t i = 0; i < rtp->n_codecs; i++) {
        const OrtcCodec *c = &rtp->codecs[i];
        if (!is_rtx(c))
            continue;
        int apt = apt_of(c);
        size_t k, j;
        for (k = 0; k < rtp->n_codecs; k++)
            if (!is_rtx(&rtp->codecs[k]) && rtp->codecs[k].payload_type == apt)
                break;
        if (k == rtp->n_codecs)
            return fail(&ctx, -ENOTSUP, ".codecs[%zu]: rtx apt=%d names no media codec", i, apt);
        for (j = 0; j < ELEMENTSOF(router_codecs); j++)
            if (is_rtx(&router[j]) && router[j].clock_rate == c->clock_rate &&
                apt_of(&router[j]) == m.codecs[k].mapped_payload_type)
                break;
        if (j == ELEMENTSOF(router_codecs))
            return fail(&ctx, -ENOTSUP, ".codecs[%zu]: the router has no rtx for %s", i,
                        rtp->codecs[k].mime_type);
        m.codecs[i].mapped_payload_type = router[j].payload_type;
    }
    m.n_codecs = rtp->n_codecs;
    uint32_t used[ORTC_MAX_ENCODINGS];
    for (size_t i = 0; i < rtp->n_encodings; i++) {
        m.encodings[i].ssrc = rtp->encodings[i].ssrc;
        memcpy(m.encodings[i].rid, rtp->encodings[i].rid, sizeof(m.encodings[i].rid));
        m.encodings[i].mapped_ssrc = used[i] = fresh_ssrc(rnd, userdata, used, i);
    }
    m.n_encodings = rtp->n_encodings;
    if (ret_consumable)
        make_consumable(kind, rtp, &m, router, ret_consumable, rnd, userdata);
    *ret_mapping = m;
    return 0;
}

/* ---- consuming ---- */

/* The device's codec matching media codec c with c's payload type, or NULL. */
static const OrtcCodec *device_codec(const OrtcRtpCapabilities *caps, const OrtcCodec *c) {
    for (size_t i = 0; i < caps->n_codecs; i++)
        if (caps->codecs[i].payload_type == c->payload_type && codecs_match(c, &caps->codecs[i]))
            return &caps->codecs[i];
    return NULL;
}

static const OrtcCodec *first_consumable(const OrtcRtpParameters *consumable,
                                         const OrtcRtpCapabilities *caps,
                                         const OrtcCodec **ret_cap) {
    for (size_t i = 0; i < consumable->n_codecs; i++) {
        const OrtcCodec *c = &consumable->codecs[i];
        if (!is_rtx(c) && (*ret_cap = device_codec(caps, c)))
            return c;
    }
    return NULL;
}

bool ortc_can_consume(const OrtcRtpParameters *consumable, const OrtcRtpCapabilities *caps) {
    const OrtcCodec *cap;
    return first_consumable(consumable, caps, &cap) != NULL;
}

/* c's feedback, keeping only what cap has too. */
static void intersect_feedback(OrtcCodec *c, const OrtcCodec *cap) {
    size_t n = 0;
    for (size_t i = 0; i < c->n_feedback; i++)
        for (size_t j = 0; j < cap->n_feedback; j++)
            if (strcmp(c->feedback[i].type, cap->feedback[j].type) == 0 &&
                strcmp(c->feedback[i].parameter, cap->feedback[j].parameter) == 0) {
                c->feedback[n++] = c->feedback[i];
                break;
            }
    c->n_feedback = n;
}

static bool has_extension(const OrtcRtpParameters *p, const char *uri) {
    for (size_t i = 0; i < p->n_header_extensions; i++)
        if (strcmp(p->header_extensions[i].uri, uri) == 0)
            return true;
    return false;
}

static void drop_feedback(OrtcCodec *c, const char *type) {
    size_t n = 0;
    for (size_t i = 0; i < c->n_feedback; i++)
        if (strcmp(c->feedback[i].type, type) != 0)
            c->feedback[n++] = c->feedback[i];
    c->n_feedback = n;
}

/* The temporal layers of "L1T3" (1 when absent or unreadable). */
static unsigned temporal_layers(const char *mode) {
    const char *t = strchr(mode, 'T');
    unsigned n = t ? (unsigned)atoi(t + 1) : 1;
    return n >= 1 && n <= 15 ? n : 1;
}

int ortc_consumer_parameters(const OrtcRtpParameters *consumable, const OrtcRtpCapabilities *caps,
                             const char *mid, ortc_random_fn rnd, void *userdata,
                             OrtcRtpParameters *ret, char *err, size_t err_size) {
    Ctx ctx = {err, err_size, "consumer"};
    const OrtcCodec *cap, *media;
    OrtcKind kind;
    if (!mid || !*mid || strlen(mid) >= sizeof(ret->mid))
        return fail(&ctx, -EINVAL, ": mid must have 1 to %zu bytes", sizeof(ret->mid) - 1);
    if (!(media = first_consumable(consumable, caps, &cap)))
        return fail(&ctx, -ENOTSUP, ": the device supports none of the producer's codecs");
    if (consumable->n_encodings == 0)
        return fail(&ctx, -EINVAL, ": the producer has no encoding");
    kind = media->kind;
    memset(ret, 0, sizeof(*ret));
    snprintf(ret->mid, sizeof(ret->mid), "%s", mid);
    ret->codecs[0] = *media;
    intersect_feedback(&ret->codecs[0], cap);
    ret->n_codecs = 1;
    /* its rtx, when both the producer and the device have one */
    for (size_t i = 0; i < consumable->n_codecs; i++) {
        const OrtcCodec *c = &consumable->codecs[i];
        if (!is_rtx(c) || apt_of(c) != media->payload_type)
            continue;
        for (size_t j = 0; j < caps->n_codecs; j++)
            if (is_rtx(&caps->codecs[j]) && caps->codecs[j].payload_type == c->payload_type &&
                apt_of(&caps->codecs[j]) == media->payload_type &&
                caps->codecs[j].clock_rate == c->clock_rate) {
                ret->codecs[1] = *c;
                ret->codecs[1].n_feedback = 0;
                ret->n_codecs = 2;
                break;
            }
        break;
    }
    for (size_t i = 0; i < consumable->n_header_extensions; i++) {
        const OrtcHeaderExtension *e = &consumable->header_extensions[i];
        for (size_t j = 0; j < caps->n_header_extensions; j++) {
            const OrtcHeaderExtension *d = &caps->header_extensions[j];
            if (d->kind != kind || strcmp(d->uri, e->uri) != 0 ||
                (d->direction != ORTC_DIRECTION_SENDRECV &&
                 d->direction != ORTC_DIRECTION_RECVONLY))
                continue;
            OrtcHeaderExtension *x = &ret->header_extensions[ret->n_header_extensions++];
            *x = *e;
            x->id = d->id;
            x->encrypt = false;
            break;
        }
    }
    /* Use transport-cc if negotiated, REMB with abs-send-time otherwise, neither without. */
    if (has_extension(ret, URI_TCC))
        drop_feedback(&ret->codecs[0], "goog-remb");
    else if (has_extension(ret, URI_ABS_SEND_TIME))
        drop_feedback(&ret->codecs[0], "transport-cc");
    else {
        drop_feedback(&ret->codecs[0], "transport-cc");
        drop_feedback(&ret->codecs[0], "goog-remb");
    }
    /* One encoding: the worker switches layers behind one SSRC. ssrc + 1 must not wrap to 0. */
    OrtcEncoding *e = &ret->encodings[0];
    ret->n_encodings = 1;
    do
        e->ssrc = rnd(userdata);
    while (e->ssrc == 0 || e->ssrc == UINT32_MAX);
    if (ret->n_codecs == 2)
        e->rtx_ssrc = e->ssrc + 1;
    e->dtx = consumable->encodings[0].dtx;
    if (consumable->n_encodings > 1)
        snprintf(e->scalability_mode, sizeof(e->scalability_mode), "L%zuT%u",
                 consumable->n_encodings,
                 temporal_layers(consumable->encodings[0].scalability_mode));
    else
        memcpy(e->scalability_mode, consumable->encodings[0].scalability_mode,
               sizeof(e->scalability_mode));
    memcpy(ret->rtcp_cname, consumable->rtcp_cname, sizeof(ret->rtcp_cname));
    ret->rtcp_reduced_size = true;
    return 0;
}

/* ---- output ---- */

static json_object *codec_json(const OrtcCodec *c) {
    _cleanup_(json_object_putp) json_object *o = json_object_new_object();
    if (!o || !add(o, "mimeType", json_object_new_string(c->mime_type)) ||
        !add(o, "payloadType", json_object_new_int(c->payload_type)) ||
        !add(o, "clockRate", json_object_new_int64(c->clock_rate)) ||
        (c->kind == ORTC_KIND_AUDIO && !add(o, "channels", json_object_new_int(c->channels))) ||
        !add(o, "parameters", parameters_json(c)) || !add(o, "rtcpFeedback", feedback_json(c)))
        return NULL;
    return TAKE_PTR(o);
}

static json_object *encoding_json(const OrtcEncoding *e) {
    _cleanup_(json_object_putp) json_object *o = json_object_new_object();
    if (!o || (e->ssrc && !add(o, "ssrc", json_object_new_int64(e->ssrc))) ||
        (*e->rid && !add(o, "rid", json_object_new_string(e->rid))))
        return NULL;
    if (e->rtx_ssrc) {
        json_object *rtx = json_object_new_object();
        if (!add(o, "rtx", rtx) || !add(rtx, "ssrc", json_object_new_int64(e->rtx_ssrc)))
            return NULL;
    }
    if ((e->dtx && !add(o, "dtx", json_object_new_boolean(true))) ||
        (e->max_bitrate && !add(o, "maxBitrate", json_object_new_int64(e->max_bitrate))) ||
        (*e->scalability_mode &&
         !add(o, "scalabilityMode", json_object_new_string(e->scalability_mode))))
        return NULL;
    return TAKE_PTR(o);
}

json_object *ortc_rtp_parameters_json(const OrtcRtpParameters *rtp) {
    _cleanup_(json_object_putp) json_object *o = json_object_new_object();
    json_object *codecs = json_object_new_array(), *exts = json_object_new_array(),
                *encs = json_object_new_array(), *rtcp = json_object_new_object();
    if (!o || (*rtp->mid && !add(o, "mid", json_object_new_string(rtp->mid))) ||
        !add(o, "codecs", codecs) || !add(o, "headerExtensions", exts) ||
        !add(o, "encodings", encs) || !add(o, "rtcp", rtcp)) {
        json_object_put(codecs), json_object_put(exts), json_object_put(encs);
        json_object_put(rtcp); /* those not yet added; add() put the one that failed */
        return NULL;
    }
    for (size_t i = 0; i < rtp->n_codecs; i++)
        if (!push(codecs, codec_json(&rtp->codecs[i])))
            return NULL;
    for (size_t i = 0; i < rtp->n_header_extensions; i++) {
        const OrtcHeaderExtension *e = &rtp->header_extensions[i];
        json_object *x = json_object_new_object();
        if (!push(exts, x) || !add(x, "uri", json_object_new_string(e->uri)) ||
            !add(x, "id", json_object_new_int(e->id)) ||
            !add(x, "encrypt", json_object_new_boolean(e->encrypt)) ||
            !add(x, "parameters", json_object_new_object()))
            return NULL;
    }
    for (size_t i = 0; i < rtp->n_encodings; i++)
        if (!push(encs, encoding_json(&rtp->encodings[i])))
            return NULL;
    if (!add(rtcp, "cname", json_object_new_string(rtp->rtcp_cname)) ||
        !add(rtcp, "reducedSize", json_object_new_boolean(rtp->rtcp_reduced_size)) ||
        !add(rtcp, "mux", json_object_new_boolean(true)))
        return NULL;
    return TAKE_PTR(o);
}

json_object *ortc_consume_options_json(const char *id, const char *producer_id, OrtcKind kind,
                                       const OrtcRtpParameters *rtp) {
    _cleanup_(json_object_putp) json_object *o = json_object_new_object();
    if (!o || !add(o, "id", json_object_new_string(id)) ||
        !add(o, "producerId", json_object_new_string(producer_id)) ||
        !add(o, "kind", json_object_new_string(ortc_kind_to_string(kind))) ||
        !add(o, "rtpParameters", ortc_rtp_parameters_json(rtp)))
        return NULL;
    return TAKE_PTR(o);
}

/* A proto message in a, set to its INIT (a brace list: hence the variadic). */
#define ARENA_NEW(a, type, ...)                                                                    \
    ({                                                                                             \
        type *_x_ = arena_alloc(a, sizeof(type));                                                  \
        if (_x_)                                                                                   \
            *_x_ = (type)__VA_ARGS__;                                                              \
        _x_;                                                                                       \
    })

static char *fmtp(Arena *a, const OrtcCodec *c) {
    char buf[ORTC_MAX_PARAMETERS * (ORTC_PARAM_KEY_MAX + ORTC_PARAM_VALUE_MAX + 2) + 1];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->n_parameters; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s=%s", i ? ";" : "",
                              c->parameters[i].key, c->parameters[i].value);
    return arena_strdup(a, buf);
}

static Hype__SignalMedia__RtpCodec *codec_proto(Arena *a, const OrtcCodec *c) {
    Hype__SignalMedia__RtpCodec *p =
        ARENA_NEW(a, Hype__SignalMedia__RtpCodec, HYPE__SIGNAL_MEDIA__RTP_CODEC__INIT);
    if (!p || !(p->mime_type = arena_strdup(a, c->mime_type)) || !(p->parameters = fmtp(a, c)))
        return NULL;
    p->payload_type = c->payload_type;
    p->clock_rate = c->clock_rate;
    p->channels = c->channels;
    p->rtcp_feedback = arena_alloc(a, (c->n_feedback + 1) * sizeof(*p->rtcp_feedback));
    if (!p->rtcp_feedback)
        return NULL;
    for (size_t i = 0; i < c->n_feedback; i++) {
        Hype__SignalMedia__RtcpFeedback *f =
            ARENA_NEW(a, Hype__SignalMedia__RtcpFeedback, HYPE__SIGNAL_MEDIA__RTCP_FEEDBACK__INIT);
        if (!f || !(f->type = arena_strdup(a, c->feedback[i].type)) ||
            !(f->parameter = arena_strdup(a, c->feedback[i].parameter)))
            return NULL;
        p->rtcp_feedback[p->n_rtcp_feedback++] = f;
    }
    return p;
}

int ortc_rtp_parameters_proto(Arena *a, const OrtcRtpParameters *rtp,
                              Hype__SignalMedia__RtpParameters **ret) {
    Hype__SignalMedia__RtpParameters *p =
        ARENA_NEW(a, Hype__SignalMedia__RtpParameters, HYPE__SIGNAL_MEDIA__RTP_PARAMETERS__INIT);
    if (!p || !(p->mid = arena_strdup(a, rtp->mid)) ||
        !(p->rtcp_cname = arena_strdup(a, rtp->rtcp_cname)) ||
        !(p->codecs = arena_alloc(a, (rtp->n_codecs + 1) * sizeof(*p->codecs))) ||
        !(p->header_extensions =
              arena_alloc(a, (rtp->n_header_extensions + 1) * sizeof(*p->header_extensions))) ||
        !(p->encodings = arena_alloc(a, (rtp->n_encodings + 1) * sizeof(*p->encodings))))
        return -ENOMEM;
    p->rtcp_reduced_size = rtp->rtcp_reduced_size;
    for (size_t i = 0; i < rtp->n_codecs; i++)
        if (!(p->codecs[p->n_codecs++] = codec_proto(a, &rtp->codecs[i])))
            return -ENOMEM;
    for (size_t i = 0; i < rtp->n_header_extensions; i++) {
        Hype__SignalMedia__RtpHeaderExtension *x =
            ARENA_NEW(a, Hype__SignalMedia__RtpHeaderExtension,
                      HYPE__SIGNAL_MEDIA__RTP_HEADER_EXTENSION__INIT);
        if (!x || !(x->uri = arena_strdup(a, rtp->header_extensions[i].uri)))
            return -ENOMEM;
        x->id = rtp->header_extensions[i].id;
        p->header_extensions[p->n_header_extensions++] = x;
    }
    for (size_t i = 0; i < rtp->n_encodings; i++) {
        const OrtcEncoding *e = &rtp->encodings[i];
        Hype__SignalMedia__RtpEncoding *x =
            ARENA_NEW(a, Hype__SignalMedia__RtpEncoding, HYPE__SIGNAL_MEDIA__RTP_ENCODING__INIT);
        if (!x || !(x->rid = arena_strdup(a, e->rid)))
            return -ENOMEM;
        x->ssrc = e->ssrc;
        x->rtx_ssrc = e->rtx_ssrc;
        x->dtx = e->dtx;
        p->encodings[p->n_encodings++] = x;
    }
    *ret = p;
    return 0;
}

int ortc_rtp_mapping_proto(Arena *a, const OrtcRtpMapping *m, Hype__SignalMedia__RtpMapping **ret) {
    Hype__SignalMedia__RtpMapping *p =
        ARENA_NEW(a, Hype__SignalMedia__RtpMapping, HYPE__SIGNAL_MEDIA__RTP_MAPPING__INIT);
    if (!p || !(p->codecs = arena_alloc(a, (m->n_codecs + 1) * sizeof(*p->codecs))) ||
        !(p->encodings = arena_alloc(a, (m->n_encodings + 1) * sizeof(*p->encodings))))
        return -ENOMEM;
    for (size_t i = 0; i < m->n_codecs; i++) {
        Hype__SignalMedia__RtpMapping__Codec *c = ARENA_NEW(
            a, Hype__SignalMedia__RtpMapping__Codec, HYPE__SIGNAL_MEDIA__RTP_MAPPING__CODEC__INIT);
        if (!c)
            return -ENOMEM;
        c->payload_type = m->codecs[i].payload_type;
        c->mapped_payload_type = m->codecs[i].mapped_payload_type;
        p->codecs[p->n_codecs++] = c;
    }
    for (size_t i = 0; i < m->n_encodings; i++) {
        Hype__SignalMedia__RtpMapping__Encoding *e =
            ARENA_NEW(a, Hype__SignalMedia__RtpMapping__Encoding,
                      HYPE__SIGNAL_MEDIA__RTP_MAPPING__ENCODING__INIT);
        if (!e || !(e->rid = arena_strdup(a, m->encodings[i].rid)))
            return -ENOMEM;
        e->ssrc = m->encodings[i].ssrc;
        e->mapped_ssrc = m->encodings[i].mapped_ssrc;
        p->encodings[p->n_encodings++] = e;
    }
    *ret = p;
    return 0;
}
