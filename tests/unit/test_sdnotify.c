/* test_sdnotify.c -- unit tests for resolver/sdnotify.c: the $NOTIFY_SOCKET names (path,
 * abstract '@', bad), the datagram as sent, and when $WATCHDOG_USEC/$WATCHDOG_PID ask for
 * a watchdog. The test binds the receiving socket itself. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"
#include "tap.h"

/* A non-blocking datagram socket bound at name (a path, or '@' for abstract); -1 on error. */
static int bind_receiver(const char *name)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    size_t len = strlen(name);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);

    if (fd < 0 || len >= sizeof addr.sun_path)
        return -1;
    memcpy(addr.sun_path, name, len);
    if (name[0] == '@')
        addr.sun_path[0] = '\0';
    else
        len++;
    if (bind(fd, (struct sockaddr *)&addr, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The next datagram on fd as a string ("" when none is waiting). */
static const char *receive(int fd)
{
    static char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);

    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static void test_no_socket(void)
{
    unsetenv("NOTIFY_SOCKET");
    is_int(sdnotify_send("READY=1"), 0, "no $NOTIFY_SOCKET: nothing sent, no error");
    setenv("NOTIFY_SOCKET", "", 1);
    is_int(sdnotify_ready(), 0, "an empty $NOTIFY_SOCKET: the same");
    setenv("NOTIFY_SOCKET", "relative/path", 1);
    is_int(sdnotify_ready(), -1, "a name neither absolute nor abstract: an error");
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[0] = '/';
    longname[sizeof longname - 1] = '\0';
    setenv("NOTIFY_SOCKET", longname, 1);
    is_int(sdnotify_ready(), -1, "a name longer than sun_path: an error");
    setenv("NOTIFY_SOCKET", "/nonexistent/notify.sock", 1);
    is_int(sdnotify_ready(), -1, "nobody at the path: an error, not a block");
}

static void test_path_socket(void)
{
    char dir[] = "/tmp/test_sdnotify.XXXXXX", path[64];

    if (!mkdtemp(dir)) {
        ok(0, "mkdtemp");
        return;
    }
    snprintf(path, sizeof path, "%s/notify", dir);
    int fd = bind_receiver(path);
    ok(fd >= 0, "bound a receiver at a path");
    setenv("NOTIFY_SOCKET", path, 1);
    is_int(sdnotify_ready(), 1, "READY sent");
    is_str(receive(fd), "READY=1\nSTATUS=answering queries", "... as READY=1 and a STATUS line");
    is_int(sdnotify_stopping(), 1, "STOPPING sent");
    is_str(receive(fd), "STOPPING=1\nSTATUS=stopping", "... as STOPPING=1");
    is_int(sdnotify_reloading(), 1, "RELOADING sent");
    const char *msg = receive(fd);
    if (!ok(strncmp(msg, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=", 44) == 0 &&
                strlen(msg) > 44 && strspn(msg + 44, "0123456789") == strlen(msg + 44),
            "... as RELOADING=1 with MONOTONIC_USEC"))
        printf("#   got: %.60s\n", msg);
    close(fd);
    unlink(path);
    rmdir(dir);
}

static void test_abstract_socket(void)
{
    char name[64];

    snprintf(name, sizeof name, "@test_sdnotify.%d", (int)getpid());
    int fd = bind_receiver(name);
    ok(fd >= 0, "bound a receiver at an abstract name");
    setenv("NOTIFY_SOCKET", name, 1);
    is_int(sdnotify_send("WATCHDOG=1"), 1, "WATCHDOG=1 sent to '@...'");
    is_str(receive(fd), "WATCHDOG=1", "... and received under the abstract name");
    close(fd);
    unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_interval(void)
{
    char pid[32];

    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    ok(sdnotify_watchdog_interval() == 0, "no $WATCHDOG_USEC: no watchdog");
    setenv("WATCHDOG_USEC", "30000000", 1);
    ok(sdnotify_watchdog_interval() == 30.0, "WATCHDOG_USEC=30000000: 30 s");
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    ok(sdnotify_watchdog_interval() == 30.0, "WATCHDOG_PID naming us: 30 s");
    setenv("WATCHDOG_PID", "1", 1);
    ok(sdnotify_watchdog_interval() == 0, "WATCHDOG_PID naming another process: none");
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "0", 1);
    ok(sdnotify_watchdog_interval() == 0, "WATCHDOG_USEC=0: none");
    setenv("WATCHDOG_USEC", "-5", 1);
    ok(sdnotify_watchdog_interval() == 0, "WATCHDOG_USEC=-5: none");
    setenv("WATCHDOG_USEC", "12abc", 1);
    ok(sdnotify_watchdog_interval() == 0, "WATCHDOG_USEC=12abc: none");
    unsetenv("WATCHDOG_USEC");
}

int main(void)
{
    test_no_socket();
    test_path_socket();
    test_abstract_socket();
    test_watchdog_interval();
    return done_testing();
}
