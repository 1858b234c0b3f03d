/* Unit tests for api-daemon/api-workpool and api-password (argon2id off the loop). */
#include <event2/event.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "api-password.h"
#include "api-workpool.h"
#include "test.h"

typedef struct Counter {
    int done, cancelled, ran_off_loop;
    pthread_t loop_thread;
    struct event_base *base;
    int expected;
} Counter;

static void work(void *arg) {
    Counter *c = arg;
    if (!pthread_equal(pthread_self(), c->loop_thread))
        __atomic_add_fetch(&c->ran_off_loop, 1, __ATOMIC_SEQ_CST);
}

static void done(void *arg, int error) {
    Counter *c = arg;
    if (error == -ECANCELED)
        c->cancelled++;
    else
        c->done++;
    if (c->done == c->expected)
        event_base_loopbreak(c->base);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg) {
    event_base_loopbreak(arg);
}

static void run_loop(struct event_base *base, int seconds) {
    struct timeval tv = {seconds, 0};
    struct event *t = evtimer_new(base, on_timeout, base);
    evtimer_add(t, &tv);
    event_base_dispatch(base);
    event_free(t);
}

TEST(jobs_run_on_threads_and_complete_on_the_loop) {
    struct event_base *base = event_base_new();
    WorkPool *pool = NULL;
    Counter c = {.loop_thread = pthread_self(), .base = base, .expected = 200};
    ASSERT_EQ(workpool_new(base, 3, 1000, &pool), 0);
    ASSERT_EQ(workpool_threads(pool), 3);
    for (int i = 0; i < 200; i++)
        ASSERT_EQ(workpool_submit(pool, work, done, &c), 0);
    ASSERT_EQ(c.done, 0); /* completions never run inline */
    run_loop(base, 10);
    ASSERT_EQ(c.done, 200);
    ASSERT_EQ(c.ran_off_loop, 200);
    workpool_free(pool);
    event_base_free(base);
}

static void slow_work(void *arg) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

TEST(queue_bound_and_cancel_on_free) {
    struct event_base *base = event_base_new();
    WorkPool *pool = NULL;
    Counter c = {.loop_thread = pthread_self(), .base = base, .expected = -1};
    ASSERT_EQ(workpool_new(base, 1, 4, &pool), 0);
    int accepted = 0, refused = 0;
    for (int i = 0; i < 20; i++) {
        int r = workpool_submit(pool, slow_work, done, &c);
        if (r == 0)
            accepted++;
        else if (r == -EAGAIN)
            refused++;
    }
    ASSERT_GE(refused, 1);
    workpool_free(pool); /* the running job finishes; the queued ones are cancelled */
    ASSERT_EQ(c.done + c.cancelled, accepted);
    ASSERT_GE(c.cancelled, 1);
    event_base_free(base);
}

typedef struct PwState {
    struct event_base *base;
    char encoded[PASSWORD_ENCODED_MAX];
    int result;
    bool called;
} PwState;

static void on_pw(int result, const char *encoded, void *arg) {
    PwState *s = arg;
    s->result = result;
    s->called = true;
    if (encoded)
        snprintf(s->encoded, sizeof(s->encoded), "%s", encoded);
    event_base_loopbreak(s->base);
}

static int pw_run(WorkPool *pool, PwState *s, const char *encoded, const char *password, bool verify) {
    s->called = false;
    int r = verify ? password_verify_async(pool, encoded, password, on_pw, s)
                   : password_hash_async(pool, password, on_pw, s);
    if (r < 0)
        return r;
    run_loop(s->base, 20);
    return s->called ? s->result : -ETIMEDOUT;
}

TEST(argon2id_hash_and_verify) {
    PasswordParams p = {.memory_kib = 1024, .time_cost = 1, .parallelism = 1};
    ASSERT_EQ(password_init(&p), 0);
    struct event_base *base = event_base_new();
    WorkPool *pool = NULL;
    ASSERT_EQ(workpool_new(base, 2, 16, &pool), 0);
    PwState s = {.base = base};
    ASSERT_EQ(pw_run(pool, &s, NULL, "correct horse", false), 0);
    ASSERT_TRUE(strncmp(s.encoded, "$argon2id$v=19$m=1024,t=1,p=1$", 30) == 0);
    ASSERT_TRUE(strstr(s.encoded, "correct") == NULL);
    char stored[PASSWORD_ENCODED_MAX];
    snprintf(stored, sizeof(stored), "%s", s.encoded);
    ASSERT_EQ(pw_run(pool, &s, stored, "correct horse", true), 0);
    ASSERT_EQ(pw_run(pool, &s, stored, "correct horsE", true), -EACCES);
    ASSERT_EQ(pw_run(pool, &s, NULL, "anything", true), -EACCES);
    ASSERT_EQ(pw_run(pool, &s, "$argon2id$garbage", "x", true), -EIO);
    /* Salts differ: the same password never hashes the same twice. */
    ASSERT_EQ(pw_run(pool, &s, NULL, "correct horse", false), 0);
    ASSERT_TRUE(strcmp(stored, s.encoded) != 0);
    workpool_free(pool);
    event_base_free(base);
}

TEST_MAIN()
