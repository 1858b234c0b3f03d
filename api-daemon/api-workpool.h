/* api-workpool: a small thread pool for CPU-heavy work (argon2id) whose results return to the loop.
 */
#pragma once

#include <stddef.h>

struct event_base;

/*
 * work(job) runs on a worker thread and must touch nothing but job; done(job, error) then runs
 * on the loop thread, error 0, or -ECANCELED when the pool was freed before the job ran.
 * Completions reach the loop through an eventfd, so the loop never waits on a lock held long.
 */
typedef struct WorkPool WorkPool;
typedef void (*work_fn)(void *job);
typedef void (*work_done_fn)(void *job, int error);

/* threads 0 = one per online CPU. */
int workpool_new(struct event_base *base, unsigned threads, size_t max_queue, WorkPool **ret);
/* -EAGAIN when max_queue jobs are already waiting (done is then not called). */
int workpool_submit(WorkPool *pool, work_fn work, work_done_fn done, void *job);
size_t workpool_queued(WorkPool *pool);
unsigned workpool_threads(const WorkPool *pool);
/* Lets running jobs finish, cancels queued ones (their done runs with -ECANCELED), joins. */
WorkPool *workpool_free(WorkPool *pool);
