/* ws-floor: bench/ws's physical limit: the kernel's cost of delivering each message to each
 * subscriber with one write, measured on the same sockets, CPUs and pacing as the servers. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hype-ws.h"

/*
 * A server that does nothing but write a ready frame to each subscriber as each message comes,
 * one write per delivery, is the fastest any server can be that does not batch: its CPU is the
 * kernel's (the write, TCP, and on loopback the receiving side too). The writer runs on the CPU
 * the servers under test run on, the reader on the load generator's, at the same message rate,
 * subscriber count and frame size; what is left of a server's cost above this is its own.
 */
static struct {
    unsigned connections, rounds, frame_bytes;
    double rate, duration;
    int writer_cpu, reader_cpu;
    const char *label;
} opt = {1000, 3, 400, 20, 10, -1, -1, "floor"};

/* Shared with the reading process: each side then holds N descriptors, not 2N. */
static struct Shared {
    atomic_uint_fast64_t bytes_read;
    atomic_bool stopping;
} * shared;
static int *server_fds;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("ws-floor: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static uint64_t mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void thread_cpu(double *total, double *sys) {
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    *total = *sys + (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

static void pin(int cpu) {
    if (cpu < 0)
        return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0)
        die("cannot pin to CPU %d: %s", cpu, strerror(errno));
}

/* The reading side, in its own process: connects N clients and reads everything it gets. */
static void reader(const struct sockaddr_in *a) {
    pin(opt.reader_cpu);
    int ep = epoll_create1(0);
    for (unsigned i = 0; i < opt.connections; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0 ||
            (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0 && errno != EINPROGRESS))
            die("connect %u: %s", i, strerror(errno));
        struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0)
            die("epoll: %s", strerror(errno));
    }
    static char buf[65536];
    struct epoll_event ev[256];
    while (!atomic_load(&shared->stopping)) {
        int n = epoll_wait(ep, ev, 256, 100);
        for (int i = 0; i < n; i++) {
            ssize_t r;
            while ((r = read(ev[i].data.fd, buf, sizeof(buf))) > 0)
                atomic_fetch_add(&shared->bytes_read, (uint64_t)r);
        }
    }
    _exit(0);
}

/* N loopback TCP connections from the reading process, accepted here. */
static pid_t connect_all(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 4096) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) < 0)
        die("listen: %s", strerror(errno));
    server_fds = calloc(opt.connections, sizeof(int));
    if (!server_fds)
        die("out of memory");
    fflush(stdout);
    pid_t child = fork();
    if (child < 0)
        die("fork: %s", strerror(errno));
    if (child == 0) {
        close(l);
        reader(&a);
    }
    int one = 1;
    for (unsigned i = 0; i < opt.connections; i++) {
        server_fds[i] = accept4(l, NULL, NULL, SOCK_NONBLOCK);
        if (server_fds[i] < 0)
            die("accept %u: %s", i, strerror(errno));
        setsockopt(server_fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    close(l);
    return child;
}

/* A text frame of frame_bytes in all, like a message event. */
static size_t make_frame(uint8_t **ret) {
    uint8_t *f = malloc(opt.frame_bytes + WS_HEADER_MAX);
    if (!f)
        die("out of memory");
    size_t payload = opt.frame_bytes > 4 ? opt.frame_bytes - 4 : 1;
    size_t hl = ws_frame_header_encode(f, WS_OP_TEXT, true, payload, NULL);
    memset(f + hl, 'x', payload);
    memcpy(f + hl, "{\"type\":\"message\",\"data\":\"", payload > 27 ? 27 : payload);
    f[hl + payload - 1] = '}';
    *ret = f;
    return hl + payload;
}

static void run_round(unsigned round, const uint8_t *frame, size_t frame_len) {
    uint64_t interval = (uint64_t)(1e6 / opt.rate);
    uint64_t messages = (uint64_t)(opt.rate * opt.duration + 0.5), written = 0, short_writes = 0;
    uint64_t start_read = atomic_load(&shared->bytes_read);
    double cpu0, sys0, cpu1, sys1;
    thread_cpu(&cpu0, &sys0);
    uint64_t t0 = mono_us();
    for (uint64_t m = 0; m < messages; m++) {
        uint64_t due = t0 + m * interval, now = mono_us();
        if (now < due)
            usleep((useconds_t)(due - now));
        for (unsigned i = 0; i < opt.connections; i++) {
            ssize_t w = write(server_fds[i], frame, frame_len);
            if (w == (ssize_t)frame_len)
                written++;
            else
                short_writes++; /* a full socket: the reader fell behind (counted, not retried) */
        }
    }
    thread_cpu(&cpu1, &sys1);
    uint64_t t1 = mono_us();
    uint64_t expected = written * frame_len;
    for (uint64_t wait0 = mono_us();
         atomic_load(&shared->bytes_read) - start_read < expected && mono_us() - wait0 < 10000000;)
        usleep(1000);
    uint64_t t2 = mono_us();
    uint64_t delivered = (atomic_load(&shared->bytes_read) - start_read) / frame_len;
    double window = (double)(t2 > t1 ? t2 - t0 : t1 - t0) / 1e6, cpu = cpu1 - cpu0;
    printf("RESULT label=%s dialect=floor scenario=fanout n=%u round=%u joined=%u rate=%.1f "
           "duration=%.1f frame_b=%zu posted=%" PRIu64 " expected=%" PRIu64 " delivered=%" PRIu64
           " missing=%" PRIu64 " dropped=0 short_writes=%" PRIu64 " window_s=%.3f "
           "deliveries_per_s=%.0f p50_us=0 p99_us=0 cpu_server_s=%.3f sys_server_s=%.3f "
           "per_cpu_s_server=%.0f cpu_api_s=0\n",
           opt.label, opt.connections, round, opt.connections, opt.rate, opt.duration, frame_len,
           messages, messages * opt.connections, delivered, messages * opt.connections - delivered,
           short_writes, window, (double)delivered / window, cpu, sys1 - sys0,
           cpu > 0 ? (double)delivered / cpu : 0.0);
    fflush(stdout);
}

static void usage(void) {
    fputs("usage: ws-floor [options]\n"
          "  --connections N   subscribers (1000)\n"
          "  --rate R          messages per second (20)\n"
          "  --duration S      seconds of messages per round (10)\n"
          "  --rounds K        rounds (3)\n"
          "  --frame-bytes B   bytes per delivery, WebSocket header included (400)\n"
          "  --writer-cpu C    CPU of the writing side, the servers' (unpinned)\n"
          "  --reader-cpu C    CPU of the reading side, the load generator's (unpinned)\n"
          "  --label L         label of the result lines (floor)\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv) {
    static const struct option lo[] = {
        {"connections", 1, 0, 'n'}, {"rate", 1, 0, 'r'},        {"duration", 1, 0, 'D'},
        {"rounds", 1, 0, 'R'},      {"frame-bytes", 1, 0, 'f'}, {"writer-cpu", 1, 0, 'w'},
        {"reader-cpu", 1, 0, 'c'},  {"label", 1, 0, 'l'},       {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'n': opt.connections = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'r': opt.rate = strtod(optarg, NULL); break;
        case 'D': opt.duration = strtod(optarg, NULL); break;
        case 'R': opt.rounds = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'f': opt.frame_bytes = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'w': opt.writer_cpu = atoi(optarg); break;
        case 'c': opt.reader_cpu = atoi(optarg); break;
        case 'l': opt.label = optarg; break;
        default: usage();
        }
    }
    if (opt.connections == 0 || opt.rate <= 0 || opt.duration <= 0 || opt.frame_bytes < 8 ||
        opt.frame_bytes > 65536)
        usage();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < (rlim_t)opt.connections + 64)
            die("RLIMIT_NOFILE %lu is too small for %u connections", (unsigned long)rl.rlim_cur,
                opt.connections);
    }
    shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    pid_t child = connect_all();
    pin(opt.writer_cpu);
    uint8_t *frame;
    size_t frame_len = make_frame(&frame);
    usleep(200000); /* the connections settle */
    for (unsigned r = 1; r <= opt.rounds; r++)
        run_round(r, frame, frame_len);
    atomic_store(&shared->stopping, true);
    waitpid(child, NULL, 0);
    free(frame);
    return 0;
}
