/* hype-macro: the small private macro set every module uses (cleanup, ownership, attributes). */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _malloc_ __attribute__((malloc))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Hand ownership of a _cleanup_ variable to someone else. */
#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _p_ = (p);                                                                   \
        (p) = NULL;                                                                                \
        _p_;                                                                                       \
    })
#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _fd_ = (fd);                                                                           \
        (fd) = -1;                                                                                 \
        _fd_;                                                                                      \
    })

/* Turn a libc "-1 and errno" return into a negative errno. */
#define RET_NERRNO(expr)                                                                           \
    ({                                                                                             \
        long _r_ = (long)(expr);                                                                   \
        _r_ < 0 ? -errno : (int)_r_;                                                               \
    })

/* Define a cleanup function "fnp" for pointer types whose destructor is "fn". */
#define DEFINE_CLEANUP_FUNC(type, fn)                                                              \
    static inline void fn##p(type **p) {                                                           \
        if (*p)                                                                                    \
            fn(*p);                                                                                \
    }

static inline void freep(void *p) {
    free(*(void **)p);
}
static inline void closep(int *fd) {
    if (*fd >= 0)
        close(*fd);
}
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Zero a secret so it does not linger in freed memory. */
static inline void explicit_zero(void *p, size_t n) {
    explicit_bzero(p, n);
}
