/* media-dtls: DTLS 1.2 with DTLS-SRTP over a datagram path the caller owns; see media-dtls.h. */
#include "media-dtls.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/dtls.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CERT_LIFETIME_S (30 * 24 * 3600)
#define SRTP_PROFILE "SRTP_AES128_CM_HMAC_SHA1_80"
/* DTLS 1.2 only: what browsers and gnutls 3.7 share; no DTLS 1.0. */
#define PRIORITY "NORMAL:-VERS-ALL:+VERS-DTLS1.2"
#define RETRANS_MS 1000
#define HANDSHAKE_TOTAL_MS 30000

struct MediaDtlsCert {
    gnutls_certificate_credentials_t cred;
    char fingerprint[MEDIA_DTLS_FINGERPRINT_LEN];
};

struct MediaDtls {
    gnutls_session_t session;
    GMainContext *ctx;
    GSource *timer;
    const MediaDtlsOps *ops;
    void *userdata;
    bool server;
    MediaDtlsState state;
    char expected[MEDIA_DTLS_FINGERPRINT_LEN];
    /* The datagram being fed: gnutls' pull function reads it, once. */
    const uint8_t *in;
    size_t in_len;
    uint8_t local_key[MEDIA_DTLS_SRTP_KEY_LEN], remote_key[MEDIA_DTLS_SRTP_KEY_LEN];
};

/* ---- certificate ---- */

static void format_fingerprint(const uint8_t digest[32], char out[MEDIA_DTLS_FINGERPRINT_LEN]) {
    for (size_t i = 0; i < 32; i++)
        snprintf(out + 3 * i, 4, i < 31 ? "%02X:" : "%02X", digest[i]);
}

static int der_fingerprint(const gnutls_datum_t *der, char out[MEDIA_DTLS_FINGERPRINT_LEN]) {
    uint8_t digest[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der->data, der->size, digest) < 0)
        return -EIO;
    format_fingerprint(digest, out);
    return 0;
}

static int make_self_signed(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key) {
    uint8_t serial[16];
    time_t now = time(NULL);
    if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0)
        return -EIO;
    serial[0] &= 0x7f; /* a positive INTEGER */
    /* Activated a day back: a browser whose clock is a little behind still accepts it. */
    if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
        gnutls_x509_crt_set_version(crt, 3) < 0 ||
        gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
        gnutls_x509_crt_set_activation_time(crt, now - 24 * 3600) < 0 ||
        gnutls_x509_crt_set_expiration_time(crt, now + CERT_LIFETIME_S) < 0 ||
        gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "hype", 4) < 0 ||
        gnutls_x509_crt_set_key(crt, key) < 0 ||
        gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
        return -EIO;
    return 0;
}

static int check_peer(MediaDtls *dtls);

/* Called by gnutls as soon as the peer's certificate arrives: a wrong one ends the handshake
 * there, before our Finished, so the peer never believes it connected. */
static int on_verify(gnutls_session_t session) {
    MediaDtls *dtls = gnutls_session_get_ptr(session);
    return dtls && check_peer(dtls) == 0 ? 0 : GNUTLS_E_CERTIFICATE_ERROR;
}

int media_dtls_cert_new(MediaDtlsCert **ret) {
    MediaDtlsCert *cert = calloc(1, sizeof(*cert));
    if (!cert)
        return -ENOMEM;
    gnutls_x509_crt_t crt = NULL;
    gnutls_x509_privkey_t key = NULL;
    gnutls_datum_t der = {0};
    int r = -EIO;
    if (gnutls_x509_crt_init(&crt) < 0 || gnutls_x509_privkey_init(&key) < 0 ||
        gnutls_certificate_allocate_credentials(&cert->cred) < 0)
        goto out;
    gnutls_certificate_set_verify_function(cert->cred, on_verify);
    r = make_self_signed(crt, key);
    if (r < 0)
        goto out;
    r = -EIO;
    if (gnutls_certificate_set_x509_key(cert->cred, &crt, 1, key) < 0 ||
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
        goto out;
    r = der_fingerprint(&der, cert->fingerprint);
out:
    gnutls_free(der.data);
    if (key)
        gnutls_x509_privkey_deinit(key);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (r < 0) {
        media_dtls_cert_free(cert);
        return r;
    }
    *ret = cert;
    return 0;
}

MediaDtlsCert *media_dtls_cert_free(MediaDtlsCert *cert) {
    if (!cert)
        return NULL;
    if (cert->cred)
        gnutls_certificate_free_credentials(cert->cred);
    free(cert);
    return NULL;
}

const char *media_dtls_cert_fingerprint(const MediaDtlsCert *cert) {
    return cert->fingerprint;
}

/* ---- gnutls' transport: datagrams in from media_dtls_feed, out through ops->send ---- */

static ssize_t on_push(gnutls_transport_ptr_t ptr, const void *buf, size_t len) {
    MediaDtls *dtls = ptr;
    dtls->ops->send(dtls->userdata, buf, len);
    return (ssize_t)len; /* UDP: what is lost is retransmitted by the handshake's timers */
}

static ssize_t on_pull(gnutls_transport_ptr_t ptr, void *buf, size_t cap) {
    MediaDtls *dtls = ptr;
    if (!dtls->in) {
        gnutls_transport_set_errno(dtls->session, EAGAIN);
        return -1;
    }
    size_t n = dtls->in_len < cap ? dtls->in_len : cap;
    memcpy(buf, dtls->in, n);
    dtls->in = NULL;
    return (ssize_t)n;
}

/* gnutls asks whether a datagram is waiting: never block, the loop brings the next one. */
static int on_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms) {
    MediaDtls *dtls = ptr;
    return dtls->in ? 1 : 0;
}

/* ---- the handshake ---- */

static void set_state(MediaDtls *dtls, MediaDtlsState state, const char *reason) {
    if (dtls->state == state)
        return;
    dtls->state = state;
    if (state != MEDIA_DTLS_CONNECTING && dtls->timer) {
        g_source_destroy(dtls->timer);
        g_source_unref(dtls->timer);
        dtls->timer = NULL;
    }
    dtls->ops->on_state(dtls->userdata, state, reason); /* may free dtls: the last thing */
}

static int check_peer(MediaDtls *dtls) {
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(dtls->session, &n);
    char got[MEDIA_DTLS_FINGERPRINT_LEN];
    if (!certs || n == 0 || der_fingerprint(&certs[0], got) < 0)
        return -EACCES;
    return strcasecmp(got, dtls->expected) == 0 ? 0 : -EACCES;
}

static int export_keys(MediaDtls *dtls) {
    uint8_t material[2 * MEDIA_DTLS_SRTP_KEY_LEN];
    gnutls_datum_t ck, cs, sk, ss;
    if (gnutls_srtp_get_keys(dtls->session, material, sizeof(material), &ck, &cs, &sk, &ss) < 0 ||
        ck.size != 16 || cs.size != 14 || sk.size != 16 || ss.size != 14)
        return -EPROTO;
    /* Each side protects with its own write key: the client's is the server's read key. */
    const gnutls_datum_t *lk = dtls->server ? &sk : &ck, *ls = dtls->server ? &ss : &cs;
    const gnutls_datum_t *rk = dtls->server ? &ck : &sk, *rs = dtls->server ? &cs : &ss;
    memcpy(dtls->local_key, lk->data, 16);
    memcpy(dtls->local_key + 16, ls->data, 14);
    memcpy(dtls->remote_key, rk->data, 16);
    memcpy(dtls->remote_key + 16, rs->data, 14);
    return 0;
}

static void arm_timer(MediaDtls *dtls);

static void step(MediaDtls *dtls) {
    int r = gnutls_handshake(dtls->session);
    if (r == GNUTLS_E_SUCCESS) {
        if (check_peer(dtls) < 0)
            set_state(dtls, MEDIA_DTLS_FAILED, "the peer's certificate has another fingerprint");
        else if (export_keys(dtls) < 0)
            set_state(dtls, MEDIA_DTLS_FAILED, "no SRTP profile negotiated");
        else
            set_state(dtls, MEDIA_DTLS_CONNECTED, NULL);
        return;
    }
    if (gnutls_error_is_fatal(r)) {
        gnutls_alert_send_appropriate(dtls->session, r); /* the peer learns at once */
        set_state(dtls, MEDIA_DTLS_FAILED, gnutls_strerror(r));
        return;
    }
    arm_timer(dtls);
    if (dtls->state == MEDIA_DTLS_NEW)
        set_state(dtls, MEDIA_DTLS_CONNECTING, NULL); /* the callback last: it may free dtls */
}

static gboolean on_timer(gpointer userdata) {
    MediaDtls *dtls = userdata;
    g_source_unref(dtls->timer);
    dtls->timer = NULL;
    step(dtls); /* retransmits the last flight when its time has come */
    return G_SOURCE_REMOVE;
}

static void arm_timer(MediaDtls *dtls) {
    if (dtls->timer) {
        g_source_destroy(dtls->timer);
        g_source_unref(dtls->timer);
    }
    dtls->timer = g_timeout_source_new(gnutls_dtls_get_timeout(dtls->session) + 1);
    g_source_set_callback(dtls->timer, on_timer, dtls, NULL);
    g_source_attach(dtls->timer, dtls->ctx);
}

/* ---- the session ---- */

static int setup_session(MediaDtls *dtls, const MediaDtlsCert *cert) {
    unsigned flags =
        (dtls->server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK;
    if (gnutls_init(&dtls->session, flags) < 0)
        return -ENOMEM;
    if (gnutls_credentials_set(dtls->session, GNUTLS_CRD_CERTIFICATE, cert->cred) < 0 ||
        gnutls_priority_set_direct(dtls->session, PRIORITY, NULL) < 0 ||
        gnutls_srtp_set_profile_direct(dtls->session, SRTP_PROFILE, NULL) < 0)
        return -EIO;
    /* Self-signed on both sides: no chain to verify, the fingerprint from signaling decides. */
    if (dtls->server)
        gnutls_certificate_server_set_request(dtls->session, GNUTLS_CERT_REQUIRE);
    gnutls_dtls_set_mtu(dtls->session, MEDIA_DTLS_MTU);
    gnutls_dtls_set_timeouts(dtls->session, RETRANS_MS, HANDSHAKE_TOTAL_MS);
    gnutls_session_set_ptr(dtls->session, dtls);
    gnutls_transport_set_ptr(dtls->session, dtls);
    gnutls_transport_set_push_function(dtls->session, on_push);
    gnutls_transport_set_pull_function(dtls->session, on_pull);
    gnutls_transport_set_pull_timeout_function(dtls->session, on_pull_timeout);
    return 0;
}

int media_dtls_new(const MediaDtlsCert *cert, bool server, GMainContext *ctx,
                   const MediaDtlsOps *ops, void *userdata, MediaDtls **ret) {
    MediaDtls *dtls = calloc(1, sizeof(*dtls));
    if (!dtls)
        return -ENOMEM;
    dtls->server = server;
    dtls->ctx = ctx;
    dtls->ops = ops;
    dtls->userdata = userdata;
    int r = setup_session(dtls, cert);
    if (r < 0) {
        media_dtls_free(dtls);
        return r;
    }
    *ret = dtls;
    return 0;
}

MediaDtls *media_dtls_free(MediaDtls *dtls) {
    if (!dtls)
        return NULL;
    if (dtls->timer) {
        g_source_destroy(dtls->timer);
        g_source_unref(dtls->timer);
    }
    if (dtls->session)
        gnutls_deinit(dtls->session);
    free(dtls);
    return NULL;
}

void media_dtls_set_remote_fingerprint(MediaDtls *dtls, const char *fingerprint) {
    snprintf(dtls->expected, sizeof(dtls->expected), "%s", fingerprint);
}

void media_dtls_start(MediaDtls *dtls) {
    if (dtls->state == MEDIA_DTLS_NEW && !dtls->server)
        step(dtls);
}

int media_dtls_feed(MediaDtls *dtls, const uint8_t *buf, size_t len) {
    if (!dtls->expected[0])
        return -EAGAIN;
    dtls->in = buf;
    dtls->in_len = len;
    if (dtls->state == MEDIA_DTLS_NEW || dtls->state == MEDIA_DTLS_CONNECTING) {
        step(dtls);
        return 0; /* dtls may be gone: state changes call back */
    }
    if (dtls->state != MEDIA_DTLS_CONNECTED) {
        dtls->in = NULL;
        return 0;
    }
    /* After the handshake only an alert matters (close_notify); data channels are not ours. */
    uint8_t scratch[256];
    ssize_t n = gnutls_record_recv(dtls->session, scratch, sizeof(scratch));
    dtls->in = NULL;
    if (n == 0)
        set_state(dtls, MEDIA_DTLS_CLOSED, "the peer closed DTLS");
    else if (n < 0 && n != GNUTLS_E_AGAIN && gnutls_error_is_fatal((int)n))
        return -EPROTO;
    return 0;
}

MediaDtlsState media_dtls_state(const MediaDtls *dtls) {
    return dtls->state;
}

const char *media_dtls_state_name(MediaDtlsState state) {
    static const char *const names[] = {"new", "connecting", "connected", "failed", "closed"};
    return state <= MEDIA_DTLS_CLOSED ? names[state] : "?";
}

void media_dtls_srtp_keys(const MediaDtls *dtls, uint8_t local[MEDIA_DTLS_SRTP_KEY_LEN],
                          uint8_t remote[MEDIA_DTLS_SRTP_KEY_LEN]) {
    memcpy(local, dtls->local_key, MEDIA_DTLS_SRTP_KEY_LEN);
    memcpy(remote, dtls->remote_key, MEDIA_DTLS_SRTP_KEY_LEN);
}
