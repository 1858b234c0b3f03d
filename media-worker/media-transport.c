/* media-transport: one WebRTC transport (ICE-lite, DTLS server, SRTP); see media-transport.h. */
#include "media-transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hype-log.h"
#include "media-demux.h"
#include "media-rtcp.h"
#include "media-srtp.h"
#include "media-stun.h"

#define UFRAG_LEN 16
#define PWD_LEN 32
/* Datagrams read per wakeup: enough to drain a burst, few enough that one busy port cannot
 * starve the others (and a junk flood costs its own port's turn, not the loop). */
#define RECV_BATCH 64
/* RFC 8445 section 5.1.2.1 for a host candidate of the only component: type preference 126,
 * local preference 65535. */
#define HOST_PRIORITY ((126u << 24) | (65535u << 8) | (256u - 1))

struct MediaTransport {
    const MediaTransportEnv *env;
    const MediaTransportOps *ops;
    void *userdata;
    int fd;
    GSource *io;
    uint16_t port;
    char ufrag[UFRAG_LEN + 1], pwd[PWD_LEN + 1];
    MediaIceState ice;
    /* The client's address, once a check carrying USE-CANDIDATE authenticated it: the only
     * one media is accepted from and sent to. */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    MediaDtls *dtls;
    MediaSrtp *srtp;
    bool connect_given, dead;
    GSource *timeout;    /* the connect timeout, then the silence check */
    gint64 last_peer_us; /* when the nominated address last sent anything */
    /* A ClientHello that came before TransportConnect: replayed when it comes, so that the
     * handshake does not wait for the client's retransmission (a second or more). */
    size_t early_len;
    uint8_t early[MEDIA_TRANSPORT_MTU];
    /* SRTP unprotects in place, in the transport's own copy. */
    uint8_t rx[MEDIA_TRANSPORT_MTU + MEDIA_SRTP_TRAILER];
    uint8_t stun_out[256];
};

/* ---- state ---- */

static void drop_timeout(MediaTransport *t) {
    if (t->timeout) {
        g_source_destroy(t->timeout);
        g_source_unref(t->timeout);
        t->timeout = NULL;
    }
}

static void report(MediaTransport *t, bool failed, const char *reason) {
    MediaDtlsState dtls = t->dtls ? media_dtls_state(t->dtls) : MEDIA_DTLS_NEW;
    if (failed)
        t->dead = true; /* nothing more is processed: the owner frees it */
    t->ops->on_state(t->userdata, t, t->ice, dtls, failed, reason);
}

static gboolean on_timeout(gpointer userdata) {
    MediaTransport *t = userdata;
    char reason[96];
    g_source_unref(t->timeout);
    t->timeout = NULL;
    snprintf(reason, sizeof(reason), "%s did not complete in %u ms",
             t->ice != MEDIA_ICE_CONNECTED ? "ICE" : "DTLS", t->env->connect_timeout_ms);
    report(t, true, reason);
    return G_SOURCE_REMOVE;
}

static unsigned silence_ms(const MediaTransport *t) {
    return t->env->silence_timeout_ms ? t->env->silence_timeout_ms : 30000;
}

static gboolean on_silence_check(gpointer userdata) {
    MediaTransport *t = userdata;
    char reason[96];
    if (g_get_monotonic_time() - t->last_peer_us <= (gint64)silence_ms(t) * 1000)
        return G_SOURCE_CONTINUE;
    g_source_unref(t->timeout);
    t->timeout = NULL;
    t->ice = MEDIA_ICE_DISCONNECTED;
    snprintf(reason, sizeof(reason), "nothing from the client in %u ms", silence_ms(t));
    report(t, true, reason);
    return G_SOURCE_REMOVE;
}

/* Connected: the connect timeout gives way to a check, a few times per silence period, that
 * the client is still there. */
static void watch_silence(MediaTransport *t) {
    drop_timeout(t);
    t->timeout = g_timeout_source_new(silence_ms(t) / 4 + 1);
    g_source_set_callback(t->timeout, on_silence_check, t, NULL);
    g_source_attach(t->timeout, t->env->ctx);
}

static void send_datagram(MediaTransport *t, const uint8_t *buf, size_t len) {
    if (!t->peer_len)
        return;
    if (sendto(t->fd, buf, len, 0, (const struct sockaddr *)&t->peer, t->peer_len) < 0)
        return; /* UDP: a full buffer is a loss, which RTP and DTLS live with */
    t->env->counters->packets_out++;
    t->env->counters->bytes_out += len;
}

static void on_dtls_send(void *userdata, const uint8_t *buf, size_t len) {
    send_datagram(userdata, buf, len);
}

static void on_dtls_state(void *userdata, MediaDtlsState state, const char *reason) {
    MediaTransport *t = userdata;
    if (state == MEDIA_DTLS_CONNECTED) {
        uint8_t local[MEDIA_DTLS_SRTP_KEY_LEN], remote[MEDIA_DTLS_SRTP_KEY_LEN];
        media_dtls_srtp_keys(t->dtls, local, remote);
        int r = media_srtp_new(local, remote, &t->srtp);
        memset(local, 0, sizeof(local));
        memset(remote, 0, sizeof(remote));
        if (r < 0) {
            report(t, true, "cannot set up SRTP");
            return;
        }
        watch_silence(t);
    }
    bool failed = state == MEDIA_DTLS_FAILED || state == MEDIA_DTLS_CLOSED;
    report(t, failed, reason);
}

static const MediaDtlsOps dtls_ops = {.send = on_dtls_send, .on_state = on_dtls_state};

/* ---- ICE-lite (RFC 8445 section 6.1.1 / 7.3): answer checks, nominate on USE-CANDIDATE ---- */

static bool same_addr(const struct sockaddr_storage *a, socklen_t alen,
                      const struct sockaddr_storage *b, socklen_t blen) {
    return alen == blen && memcmp(a, b, alen) == 0;
}

static void recv_stun(MediaTransport *t, const uint8_t *buf, size_t len,
                      const struct sockaddr_storage *from, socklen_t from_len) {
    StunMessage m;
    StunAddr addr;
    uint16_t code = 0;
    MediaCounters *c = t->env->counters;
    if (stun_parse(buf, len, &m) < 0 ||
        stun_addr_from_sockaddr((const struct sockaddr *)from, &addr) < 0) {
        c->dropped_malformed++;
        return;
    }
    ssize_t n = stun_ice_lite_answer(buf, len, &m, t->ufrag, t->pwd, &addr, t->stun_out,
                                     sizeof(t->stun_out), &code);
    if (n < 0) {
        c->dropped_malformed++;
        return;
    }
    if (n > 0 &&
        sendto(t->fd, t->stun_out, (size_t)n, 0, (const struct sockaddr *)from, from_len) >= 0) {
        c->packets_out++;
        c->bytes_out += (uint64_t)n;
    }
    if (code != 0 || m.type != STUN_BINDING_REQUEST) {
        if (code != 0)
            c->dropped_unauthenticated++;
        return;
    }
    /* Authenticated. The first such address is taken at once, nominated or not: Chromium
     * starts DTLS as soon as one check succeeds, before it nominates (mediasoup does the
     * same). A nomination (USE-CANDIDATE) then picks the pair the client will use, and a
     * later one, after a network change, moves the transport to the new address. */
    if ((t->peer_len && !m.use_candidate) || same_addr(&t->peer, t->peer_len, from, from_len))
        return;
    memcpy(&t->peer, from, from_len);
    t->peer_len = from_len;
    t->last_peer_us = g_get_monotonic_time();
    if (t->ice != MEDIA_ICE_CONNECTED) {
        t->ice = MEDIA_ICE_CONNECTED;
        report(t, false, NULL);
    }
}

/* ---- receiving ---- */

static void recv_dtls(MediaTransport *t, const uint8_t *buf, size_t len) {
    DemuxDtls d;
    MediaCounters *c = t->env->counters;
    if (demux_dtls_check(buf, len, &d) < 0) {
        c->dropped_malformed++;
        return;
    }
    /* Once connected, a new ClientHello is junk or an attack: there is one handshake. */
    if (d.client_hello && media_dtls_state(t->dtls) >= MEDIA_DTLS_CONNECTED) {
        c->dropped_malformed++;
        return;
    }
    int r = media_dtls_feed(t->dtls, buf, len);
    if (r == -EAGAIN && d.client_hello) {
        memcpy(t->early, buf, len);
        t->early_len = len;
    } else if (r == -EPROTO)
        c->dropped_malformed++;
}

static void recv_srtp(MediaTransport *t, DemuxKind kind, const uint8_t *buf, size_t len) {
    MediaCounters *c = t->env->counters;
    if (!t->srtp) {
        c->dropped_unauthenticated++;
        return;
    }
    size_t n = len;
    memcpy(t->rx, buf, len);
    int r = kind == DEMUX_RTP ? media_srtp_unprotect(t->srtp, t->rx, &n)
                              : media_srtp_unprotect_rtcp(t->srtp, t->rx, &n);
    if (r < 0) {
        c->dropped_srtp++;
        return;
    }
    if (kind == DEMUX_RTCP) {
        if (rtcp_validate(t->rx, n) < 0)
            c->dropped_malformed++;
        else
            t->ops->on_rtcp(t->userdata, t, t->rx, n);
        return;
    }
    RtpPacket p;
    if (rtp_parse(t->rx, n, &p) < 0) {
        c->dropped_malformed++;
        return;
    }
    t->ops->on_rtp(t->userdata, t, t->rx, &p);
}

static void recv_one(MediaTransport *t, const uint8_t *buf, size_t len,
                     const struct sockaddr_storage *from, socklen_t from_len) {
    MediaCounters *c = t->env->counters;
    DemuxKind kind = demux_classify(buf, len);
    bool from_peer = same_addr(&t->peer, t->peer_len, from, from_len);
    c->packets_in++;
    c->bytes_in += len;
    if (from_peer)
        t->last_peer_us = g_get_monotonic_time();
    if (kind == DEMUX_STUN) {
        recv_stun(t, buf, len, from, from_len);
        return;
    }
    /* Nothing but STUN before ICE, and then only from the nominated address. */
    if (t->ice != MEDIA_ICE_CONNECTED || !from_peer) {
        c->dropped_unauthenticated++;
        return;
    }
    if (len > MEDIA_TRANSPORT_MTU) {
        c->dropped_malformed++;
        return;
    }
    if (kind == DEMUX_DTLS)
        recv_dtls(t, buf, len);
    else if (kind == DEMUX_RTP || kind == DEMUX_RTCP)
        recv_srtp(t, kind, buf, len);
    else
        c->dropped_malformed++;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer userdata) {
    MediaTransport *t = userdata;
    /* Shared by every transport (one thread): SRTP works on the transport's own copy. A
     * datagram longer than the MTU shows as one byte more, and is dropped. */
    static uint8_t in[MEDIA_TRANSPORT_MTU + 1];
    for (int i = 0; i < RECV_BATCH && !t->dead; i++) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(fd, in, sizeof(in), MSG_TRUNC, (struct sockaddr *)&from, &from_len);
        if (n < 0)
            break; /* EAGAIN: drained; an ICMP error (ECONNREFUSED): nothing to read */
        recv_one(t, in, (size_t)n < sizeof(in) ? (size_t)n : sizeof(in), &from, from_len);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- setting up ---- */

/* ICE credentials are what keeps anyone else from taking the transport over: from the CSPRNG,
 * not GLib's Mersenne Twister. 32 letters and digits: 5 bits of each byte (RFC 8445 asks
 * at least 24 bits for the ufrag and 128 for the password, which 16 and 32 characters pass). */
static int random_string(char *out, size_t len) {
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz012345";
    uint8_t bytes[64];
    if (len > sizeof(bytes) || gnutls_rnd(GNUTLS_RND_KEY, bytes, len) < 0)
        return -EIO;
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[bytes[i] & 31];
    out[len] = '\0';
    return 0;
}

static int parse_address(const char *ip, struct sockaddr_storage *ss, socklen_t *len) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        *len = sizeof(*v4);
        return AF_INET;
    }
    if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        *len = sizeof(*v6);
        return AF_INET6;
    }
    return -EINVAL;
}

/* The next free port of the slice, starting after the last one taken (so that a port just
 * closed is the last to be reused, and late packets of its old client find nobody). */
static int bind_port(MediaTransport *t) {
    static unsigned cursor;
    struct sockaddr_storage ss;
    socklen_t len;
    int family = parse_address(t->env->bind_address, &ss, &len);
    if (family < 0)
        return family;
    t->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->fd < 0)
        return -errno;
    unsigned span = (unsigned)t->env->max_port - t->env->min_port + 1;
    for (unsigned i = 0; i < span; i++) {
        uint16_t port = (uint16_t)(t->env->min_port + (cursor + i) % span);
        if (family == AF_INET)
            ((struct sockaddr_in *)&ss)->sin_port = htons(port);
        else
            ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
        if (bind(t->fd, (struct sockaddr *)&ss, len) == 0) {
            t->port = port;
            cursor = (cursor + i + 1) % span;
            return 0;
        }
        if (errno != EADDRINUSE && errno != EACCES)
            return -errno;
    }
    return -EADDRINUSE;
}

static int setup(MediaTransport *t) {
    int r = bind_port(t);
    if (r < 0)
        return r;
    r = random_string(t->ufrag, UFRAG_LEN);
    if (r >= 0)
        r = random_string(t->pwd, PWD_LEN);
    if (r >= 0)
        r = media_dtls_new(t->env->cert, true, t->env->ctx, &dtls_ops, t, &t->dtls);
    if (r < 0)
        return r;
    t->io = g_unix_fd_source_new(t->fd, G_IO_IN);
    g_source_set_callback(t->io, (GSourceFunc)(void (*)(void))on_readable, t, NULL);
    g_source_attach(t->io, t->env->ctx);
    t->timeout = g_timeout_source_new(t->env->connect_timeout_ms);
    g_source_set_callback(t->timeout, on_timeout, t, NULL);
    g_source_attach(t->timeout, t->env->ctx);
    return 0;
}

int media_transport_new(const MediaTransportEnv *env, const MediaTransportOps *ops, void *userdata,
                        MediaTransport **ret) {
    MediaTransport *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->fd = -1;
    t->env = env;
    t->ops = ops;
    t->userdata = userdata;
    int r = setup(t);
    if (r < 0) {
        media_transport_free(t);
        return r;
    }
    *ret = t;
    return 0;
}

MediaTransport *media_transport_free(MediaTransport *t) {
    if (!t)
        return NULL;
    drop_timeout(t);
    if (t->io) {
        g_source_destroy(t->io);
        g_source_unref(t->io);
    }
    media_srtp_free(t->srtp);
    /* Safe from its own callbacks: media-dtls touches nothing after calling back. */
    media_dtls_free(t->dtls);
    if (t->fd >= 0)
        close(t->fd);
    free(t);
    return NULL;
}

const char *media_transport_ufrag(const MediaTransport *t) {
    return t->ufrag;
}

const char *media_transport_pwd(const MediaTransport *t) {
    return t->pwd;
}

uint16_t media_transport_port(const MediaTransport *t) {
    return t->port;
}

uint32_t media_transport_priority(const MediaTransport *t) {
    return HOST_PRIORITY;
}

int media_transport_connect(MediaTransport *t, const char *fingerprint) {
    if (t->connect_given)
        return -EALREADY;
    if (strlen(fingerprint) != MEDIA_DTLS_FINGERPRINT_LEN - 1)
        return -EINVAL;
    t->connect_given = true;
    media_dtls_set_remote_fingerprint(t->dtls, fingerprint);
    if (t->early_len) {
        size_t len = t->early_len;
        t->early_len = 0;
        media_dtls_feed(t->dtls, t->early, len); /* may report failure: the caller's last act */
    }
    return 0;
}

bool media_transport_ready(const MediaTransport *t) {
    return t->srtp && !t->dead;
}

static int send_protected(MediaTransport *t, uint8_t *buf, size_t len, bool rtcp) {
    if (!media_transport_ready(t))
        return -ENOTCONN;
    int r =
        rtcp ? media_srtp_protect_rtcp(t->srtp, buf, &len) : media_srtp_protect(t->srtp, buf, &len);
    if (r < 0)
        return r;
    send_datagram(t, buf, len);
    return 0;
}

int media_transport_send_rtp(MediaTransport *t, uint8_t *buf, size_t len) {
    return send_protected(t, buf, len, false);
}

int media_transport_send_rtcp(MediaTransport *t, uint8_t *buf, size_t len) {
    return send_protected(t, buf, len, true);
}
