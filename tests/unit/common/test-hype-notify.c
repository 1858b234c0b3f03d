/* Unit tests for common/hype-notify, against a datagram socket standing in for systemd. */
#include <event2/event.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hype-notify.h"
#include "test.h"

static int notify_fd = -1;
static char sock_path[108];

static void setup_socket(void) {
    if (notify_fd >= 0)
        return;
    char dir[] = "/tmp/hype-notify-XXXXXX";
    mkdtemp(dir);
    snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, sock_path);
    notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa));
    setenv("NOTIFY_SOCKET", sock_path, 1);
}

static int recv_msg(char *buf, size_t size) {
    ssize_t n = recv(notify_fd, buf, size - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return (int)n;
}

TEST(ready_status_stopping) {
    setup_socket();
    char buf[512];
    ASSERT_EQ(notify_ready("serving on port %d", 3001), 0);
    ASSERT_GT(recv_msg(buf, sizeof(buf)), 0);
    ASSERT_STREQ(buf, "READY=1\nSTATUS=serving on port 3001");
    ASSERT_EQ(notify_status("connecting"), 0);
    recv_msg(buf, sizeof(buf));
    ASSERT_STREQ(buf, "STATUS=connecting");
    ASSERT_EQ(notify_stopping("draining %d", 2), 0);
    recv_msg(buf, sizeof(buf));
    ASSERT_STREQ(buf, "STOPPING=1\nSTATUS=draining 2");
}

static void on_stop(evutil_socket_t fd, short what, void *base) {
    event_base_loopbreak(base);
}

TEST(watchdog_pings_from_the_loop) {
    setup_socket();
    char buf[64];
    while (recv_msg(buf, sizeof(buf)) > 0)
        ;
    struct event_base *base = event_base_new();
    setenv("WATCHDOG_USEC", "100000", 1);
    unsetenv("WATCHDOG_PID");
    ASSERT_EQ(notify_watchdog_start(base), 1);
    struct event *stop = evtimer_new(base, on_stop, base);
    struct timeval tv = {0, 330000};
    evtimer_add(stop, &tv);
    event_base_dispatch(base);
    int pings = 0;
    while (recv_msg(buf, sizeof(buf)) > 0)
        pings += strcmp(buf, "WATCHDOG=1") == 0;
    ASSERT_GE(pings, 5); /* one at start, then every 50 ms */
    notify_watchdog_stop();
    event_free(stop);
    event_base_free(base);
    unsetenv("WATCHDOG_USEC");
    ASSERT_EQ(notify_watchdog_start(NULL), 0);
}

TEST(without_notify_socket_everything_is_a_noop) {
    char *saved = getenv("NOTIFY_SOCKET") ? strdup(getenv("NOTIFY_SOCKET")) : NULL;
    unsetenv("NOTIFY_SOCKET");
    ASSERT_EQ(notify_ready("x"), 0);
    ASSERT_EQ(notify_stopping("x"), 0);
    if (saved)
        setenv("NOTIFY_SOCKET", saved, 1);
    free(saved);
}

TEST(listen_fds_matched_by_name) {
    int a = socket(AF_INET, SOCK_STREAM, 0), b = socket(AF_UNIX, SOCK_STREAM, 0);
    int hi = 50;
    dup2(a, hi);
    dup2(b, hi + 1);
    close(a);
    close(b);
    /* sd_listen_fds hands over fds starting at 3: place ours there. */
    dup2(hi, 3);
    dup2(hi + 1, 4);
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "2", 1);
    setenv("LISTEN_FDNAMES", "http:ipc", 1);
    ASSERT_EQ(notify_listen_fd("http"), 3);
    ASSERT_EQ(notify_listen_fd("ipc"), 4);
    ASSERT_EQ(notify_listen_fd("ws"), -ENOENT);
    unsetenv("LISTEN_FDS");
    ASSERT_EQ(notify_listen_fd("http"), -ENOENT);
    close(hi);
    close(hi + 1);
}

TEST_MAIN()
