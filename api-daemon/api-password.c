/* api-password: argon2id hashing and verification, run on the work pool off the event loop. */
#include "api-password.h"

#include <argon2.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hype-log.h"

#define SALT_LEN 16
#define HASH_LEN 32

typedef struct PasswordJob {
    bool verify;
    bool against_dummy;
    char *password;
    size_t password_len;
    char encoded[PASSWORD_ENCODED_MAX];
    int result;
    password_cb cb;
    void *userdata;
} PasswordJob;

static PasswordParams params;
static char dummy_encoded[PASSWORD_ENCODED_MAX];

static int hash_encoded(const char *pw, size_t len, char *out, size_t outlen) {
    uint8_t salt[SALT_LEN];
    if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
        return -EIO;
    int r = argon2id_hash_encoded(params.time_cost, params.memory_kib, params.parallelism, pw, len,
                                  salt, sizeof(salt), HASH_LEN, out, outlen);
    return r == ARGON2_OK ? 0 : -EIO;
}

int password_init(const PasswordParams *p) {
    params = *p;
    int r = hash_encoded("hype-dummy-password", 19, dummy_encoded, sizeof(dummy_encoded));
    if (r < 0)
        return log_error_errno(r, "argon2id failed with memory=%u KiB time=%u lanes=%u",
                               p->memory_kib, p->time_cost, p->parallelism);
    return 0;
}

static void job_work(void *arg) {
    PasswordJob *j = arg;
    if (!j->verify) {
        j->result = hash_encoded(j->password, j->password_len, j->encoded, sizeof(j->encoded));
        return;
    }
    int r = argon2id_verify(j->encoded, j->password, j->password_len);
    if (j->against_dummy)
        j->result = -EACCES;
    else if (r == ARGON2_OK)
        j->result = 0;
    else if (r == ARGON2_VERIFY_MISMATCH)
        j->result = -EACCES;
    else
        j->result = -EIO;
}

static PasswordJob *job_free(PasswordJob *j) {
    explicit_bzero(j->password, j->password_len);
    free(j->password);
    explicit_bzero(j, sizeof(*j));
    free(j);
    return NULL;
}

static void job_done(void *arg, int error) {
    PasswordJob *j = arg;
    int result = error < 0 ? error : j->result;
    j->cb(result, result == 0 && !j->verify ? j->encoded : NULL, j->userdata);
    job_free(j);
}

static int submit(WorkPool *pool, bool verify, const char *encoded, const char *password,
                  password_cb cb, void *userdata) {
    PasswordJob *j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->verify = verify;
    j->password_len = strlen(password);
    j->password = strndup(password, j->password_len);
    j->cb = cb;
    j->userdata = userdata;
    if (verify) {
        j->against_dummy = !encoded || strlen(encoded) >= sizeof(j->encoded);
        strcpy(j->encoded, j->against_dummy ? dummy_encoded : encoded);
    }
    if (!j->password) {
        free(j);
        return -ENOMEM;
    }
    int r = workpool_submit(pool, job_work, job_done, j);
    if (r < 0)
        job_free(j);
    return r;
}

int password_hash_async(WorkPool *pool, const char *password, password_cb cb, void *userdata) {
    return submit(pool, false, NULL, password, cb, userdata);
}

int password_verify_async(WorkPool *pool, const char *encoded, const char *password, password_cb cb,
                          void *userdata) {
    return submit(pool, true, encoded, password, cb, userdata);
}
