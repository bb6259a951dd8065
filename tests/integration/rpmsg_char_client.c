/*
 * rpmsg_char_client: a Linux rpmsg_char program written against the uapi
 * header <linux/rpmsg.h> only, as one would for a kernel's /dev/rpmsg_ctrl0.
 * tandem's test runs it unmodified inside a mount namespace where tandemd's
 * FUSE tree stands for /sys and /dev (docs/fuse.md).
 *
 *   rpmsg_char_client [-c /dev/rpmsg_ctrl0] [-d DST] [-n COUNT]
 *
 * Finds the echo service's address in /sys/bus/rpmsg/devices/ (unless -d),
 * creates an endpoint with RPMSG_CREATE_EPT_IOCTL, opens the /dev/rpmsgN that
 * appears (found in /sys/class/rpmsg), checks O_NONBLOCK read on empty
 * (EAGAIN), sends COUNT messages and checks each echo (poll() for POLLIN,
 * then read()), checks an oversized write (EMSGSIZE), and destroys the
 * endpoint with RPMSG_DESTROY_EPT_IOCTL. Exit 0 if all held.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rpmsg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Linux 6.5's rpmsg_char, newer than Debian 12's 6.1 uapi headers. */
#ifndef RPMSG_GET_OUTGOING_FLOWCONTROL
#define RPMSG_GET_OUTGOING_FLOWCONTROL _IOR(0xb5, 0x5, int)
#endif
#ifndef RPMSG_SET_INCOMING_FLOWCONTROL
#define RPMSG_SET_INCOMING_FLOWCONTROL _IOR(0xb5, 0x6, int)
#endif

#define SERVICE "rpmsg-openamp-demo-channel"
#define MAX_EPT 256

static int failures;

static void check(int ok, const char* what) {
  printf("%s: %s\n", ok ? "ok" : "FAIL", what);
  if (!ok) failures++;
}

static int read_line(const char* path, char* buf, size_t size) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return -1;
  const int ok = fgets(buf, (int)size, f) != NULL;
  fclose(f);
  if (!ok) return -1;
  buf[strcspn(buf, "\n")] = '\0';
  return 0;
}

/* The dst of /sys/bus/rpmsg/devices/virtioN.SERVICE.SRC.DST (as "0x401"). */
static long find_service_dst(void) {
  DIR* d = opendir("/sys/bus/rpmsg/devices");
  if (d == NULL) return -1;
  long dst = -1;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strstr(e->d_name, "." SERVICE ".") == NULL) continue;
    char path[512], text[64];
    snprintf(path, sizeof(path), "/sys/bus/rpmsg/devices/%s/dst", e->d_name);
    if (read_line(path, text, sizeof(text)) == 0) dst = strtol(text, NULL, 0);
    break;
  }
  closedir(d);
  return dst;
}

/* Marks the rpmsgN present in /sys/class/rpmsg. */
static void list_endpoints(char present[MAX_EPT]) {
  memset(present, 0, MAX_EPT);
  DIR* d = opendir("/sys/class/rpmsg");
  if (d == NULL) return;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    char* end;
    if (strncmp(e->d_name, "rpmsg", 5) != 0 || e->d_name[5] < '0' || e->d_name[5] > '9') continue;
    const long n = strtol(e->d_name + 5, &end, 10);
    if (*end == '\0' && n >= 0 && n < MAX_EPT) present[n] = 1;
  }
  closedir(d);
}

int main(int argc, char** argv) {
  const char* ctrl_path = "/dev/rpmsg_ctrl0";
  long dst = -1;
  int count = 100;
  int opt;
  while ((opt = getopt(argc, argv, "c:d:n:")) != -1) {
    switch (opt) {
      case 'c': ctrl_path = optarg; break;
      case 'd': dst = strtol(optarg, NULL, 0); break;
      case 'n': count = atoi(optarg); break;
      default: fprintf(stderr, "usage: %s [-c CTRL] [-d DST] [-n COUNT]\n", argv[0]); return 2;
    }
  }
  if (dst < 0) dst = find_service_dst();
  check(dst > 0, "the echo service's address from /sys/bus/rpmsg/devices/*/dst");
  if (dst <= 0) return 1;
  printf("echo service at 0x%lx\n", dst);

  const int ctrl = open(ctrl_path, O_RDWR | O_CLOEXEC);
  check(ctrl >= 0, "open the rpmsg_ctrl device");
  if (ctrl < 0) {
    perror(ctrl_path);
    return 1;
  }
  check(ioctl(ctrl, _IOW(0xb5, 0x7f, int), &count) < 0 && errno == EINVAL,
        "an unknown ioctl on rpmsg_ctrl is EINVAL");

  char before[MAX_EPT], after[MAX_EPT];
  list_endpoints(before);
  struct rpmsg_endpoint_info info;
  memset(&info, 0, sizeof(info));
  strncpy(info.name, SERVICE, sizeof(info.name) - 1);
  info.src = RPMSG_ADDR_ANY;
  info.dst = (__u32)dst;
  check(ioctl(ctrl, RPMSG_CREATE_EPT_IOCTL, &info) == 0, "RPMSG_CREATE_EPT_IOCTL");
  list_endpoints(after);
  int n = -1;
  for (int i = 0; i < MAX_EPT; i++) {
    if (after[i] && !before[i]) n = i;
  }
  check(n >= 0, "a new rpmsgN in /sys/class/rpmsg");
  if (n < 0) return 1;
  char path[64], text[64];
  snprintf(path, sizeof(path), "/sys/class/rpmsg/rpmsg%d/name", n);
  check(read_line(path, text, sizeof(text)) == 0 && strcmp(text, SERVICE) == 0,
        "its name in /sys/class/rpmsg/rpmsgN/name");

  snprintf(path, sizeof(path), "/dev/rpmsg%d", n);
  const int fd = open(path, O_RDWR | O_CLOEXEC);
  check(fd >= 0, "open the /dev/rpmsgN");
  if (fd < 0) {
    perror(path);
    return 1;
  }
  printf("endpoint %s\n", path);
  check(open(path, O_RDWR | O_CLOEXEC) < 0 && errno == EBUSY, "a second open is EBUSY");

  char buf[512];
  const int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  check(read(fd, buf, sizeof(buf)) < 0 && errno == EAGAIN, "O_NONBLOCK read on empty is EAGAIN");
  struct pollfd p = {fd, POLLIN, 0};
  check(poll(&p, 1, 0) == 0, "poll() on empty: not readable");
  fcntl(fd, F_SETFL, flags);

  int echoed = 0;
  for (int i = 0; i < count; i++) {
    char msg[496];
    const int len = 1 + (i * 37) % (int)sizeof(msg);
    for (int k = 0; k < len; k++) msg[k] = (char)('a' + (i + k) % 26);
    snprintf(msg, sizeof(msg) < 24 ? sizeof(msg) : 24, "#%d", i);
    if (write(fd, msg, (size_t)len) != len) {
      perror("write");
      break;
    }
    p.revents = 0;
    if (poll(&p, 1, 5000) != 1 || !(p.revents & POLLIN)) {
      fprintf(stderr, "message %d: no POLLIN within 5 s\n", i);
      break;
    }
    const ssize_t got = read(fd, buf, sizeof(buf));
    if (got != len || memcmp(buf, msg, (size_t)len) != 0) {
      fprintf(stderr, "message %d: echo of %zd bytes, sent %d, or content differs\n", i, got, len);
      break;
    }
    echoed++;
  }
  snprintf(text, sizeof(text), "%d of %d messages echoed, content checked", echoed, count);
  check(echoed == count, text);

  /* A blocking read waits for the message (written first, then read). */
  check(write(fd, "one", 3) == 3, "write one message");
  check(read(fd, buf, sizeof(buf)) == 3 && memcmp(buf, "one", 3) == 0,
        "a blocking read returns it, one message");
  /* Two messages, two reads: boundaries are kept. */
  check(write(fd, "first", 5) == 5 && write(fd, "second!", 7) == 7, "write two messages");
  check(read(fd, buf, sizeof(buf)) == 5 && read(fd, buf, sizeof(buf)) == 7,
        "two reads return them one at a time");

  char big[497];
  memset(big, 'x', sizeof(big));
  check(write(fd, big, sizeof(big)) < 0 && errno == EMSGSIZE, "a write beyond the MTU is EMSGSIZE");

  /* Flow control (docs/flow_control.md): the demo negotiates it. */
  int outgoing = -1;
  check(ioctl(fd, RPMSG_GET_OUTGOING_FLOWCONTROL, &outgoing) == 0 && outgoing == 0,
        "RPMSG_GET_OUTGOING_FLOWCONTROL: the remote has not paused us");
  /* Linux takes the value itself; FUSE's kernel side then copies the _IOR
   * int back to that "address" and reports EFAULT, after the request took
   * effect (docs/fuse.md). */
  int r = ioctl(fd, RPMSG_SET_INCOMING_FLOWCONTROL, 1);
  check(r == 0 || errno == EFAULT, "RPMSG_SET_INCOMING_FLOWCONTROL 1 (pause)");
  r = ioctl(fd, RPMSG_SET_INCOMING_FLOWCONTROL, 0);
  check(r == 0 || errno == EFAULT, "RPMSG_SET_INCOMING_FLOWCONTROL 0 (resume)");
  check(ioctl(fd, RPMSG_SET_INCOMING_FLOWCONTROL, 2) < 0 && errno == EINVAL,
        "RPMSG_SET_INCOMING_FLOWCONTROL 2 is EINVAL");
  check(write(fd, "after", 5) == 5 && read(fd, buf, sizeof(buf)) == 5,
        "after the resume the echo answers");

  check(ioctl(fd, RPMSG_DESTROY_EPT_IOCTL) == 0, "RPMSG_DESTROY_EPT_IOCTL");
  check(access(path, F_OK) != 0 && errno == ENOENT, "the /dev/rpmsgN is gone");
  check(read(fd, buf, sizeof(buf)) < 0 && errno == EPIPE, "a read after destroy is EPIPE");
  close(fd);

  memset(&info, 0, sizeof(info));
  memcpy(info.name, "bad/name", 8);
  check(ioctl(ctrl, RPMSG_CREATE_EPT_IOCTL, &info) < 0 && errno == EINVAL,
        "a name with '/' is EINVAL");
  close(ctrl);

  printf("%s\n", failures == 0 ? "PASS" : "FAILED");
  return failures == 0 ? 0 : 1;
}
