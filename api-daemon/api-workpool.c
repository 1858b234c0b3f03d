/* api-workpool: a small thread pool for CPU-heavy work (argon2id) whose results return to the loop.
 */
#include "api-workpool.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hype-log.h"

typedef struct Job {
    struct Job *next;
    work_fn work;
    work_done_fn done;
    void *arg;
    int error;
} Job;

typedef struct JobQueue {
    Job *head, *tail;
    size_t len;
} JobQueue;

struct WorkPool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    JobQueue waiting, finished;
    size_t max_queue;
    bool stopping;
    unsigned n_threads;
    pthread_t *threads;
    int efd;
    struct event *ev;
};

static void queue_push(JobQueue *q, Job *j) {
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    q->len++;
}

static Job *queue_take_all(JobQueue *q) {
    Job *all = q->head;
    *q = (JobQueue){0};
    return all;
}

static void *worker_main(void *arg) {
    WorkPool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->waiting.head && !p->stopping)
            pthread_cond_wait(&p->wake, &p->lock);
        if (p->stopping)
            break;
        Job *j = p->waiting.head;
        p->waiting.head = j->next;
        if (!p->waiting.head)
            p->waiting.tail = NULL;
        p->waiting.len--;
        pthread_mutex_unlock(&p->lock);

        j->work(j->arg);

        pthread_mutex_lock(&p->lock);
        queue_push(&p->finished, j);
        uint64_t one = 1;
        /* An eventfd write only fails when the counter would overflow: it is then readable. */
        (void)!write(p->efd, &one, sizeof(one));
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void run_done(Job *list) {
    while (list) {
        Job *j = list;
        list = j->next;
        j->done(j->arg, j->error);
        free(j);
    }
}

static void on_finished(evutil_socket_t fd, short what, void *arg) {
    WorkPool *p = arg;
    uint64_t n;
    (void)!read(fd, &n, sizeof(n));
    pthread_mutex_lock(&p->lock);
    Job *done = queue_take_all(&p->finished);
    pthread_mutex_unlock(&p->lock);
    run_done(done);
}

int workpool_new(struct event_base *base, unsigned threads, size_t max_queue, WorkPool **ret) {
    WorkPool *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->max_queue = max_queue ? max_queue : 1024;
    p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->threads = calloc(threads, sizeof(pthread_t));
    if (p->efd < 0 || !p->threads)
        goto fail;
    p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, on_finished, p);
    if (!p->ev || event_add(p->ev, NULL) < 0)
        goto fail;
    for (; p->n_threads < threads; p->n_threads++)
        if (pthread_create(&p->threads[p->n_threads], NULL, worker_main, p) != 0)
            goto fail;
    *ret = p;
    return 0;
fail:
    workpool_free(p);
    return -ENOMEM;
}

int workpool_submit(WorkPool *p, work_fn work, work_done_fn done, void *arg) {
    Job *j = malloc(sizeof(*j));
    if (!j)
        return -ENOMEM;
    *j = (Job){.work = work, .done = done, .arg = arg};
    pthread_mutex_lock(&p->lock);
    if (p->waiting.len >= p->max_queue) {
        pthread_mutex_unlock(&p->lock);
        free(j);
        return -EAGAIN;
    }
    queue_push(&p->waiting, j);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

size_t workpool_queued(WorkPool *p) {
    pthread_mutex_lock(&p->lock);
    size_t n = p->waiting.len;
    pthread_mutex_unlock(&p->lock);
    return n;
}

unsigned workpool_threads(const WorkPool *p) {
    return p->n_threads;
}

WorkPool *workpool_free(WorkPool *p) {
    if (!p)
        return NULL;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    /* Workers are gone: finished jobs complete normally, queued ones are cancelled. */
    run_done(queue_take_all(&p->finished));
    Job *cancelled = queue_take_all(&p->waiting);
    for (Job *j = cancelled; j; j = j->next)
        j->error = -ECANCELED;
    run_done(cancelled);
    if (p->ev)
        event_free(p->ev);
    if (p->efd >= 0)
        close(p->efd);
    free(p->threads);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p);
    return NULL;
}
