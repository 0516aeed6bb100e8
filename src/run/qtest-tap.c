/* qtest-tap.c -- a multiqueue tap for QEMU's virtio-net, alone in a network namespace of its own */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "vr/cause.h"
#include "vr/qtest-tap.h"
#include "vr/xmalloc.h"

#define QTAP_IFNAME	"vr0"		/* the namespace is ours alone: any name does */
#define QTAP_MTU	65521		/* tun's largest: frames up to 65535 bytes */
#define QTAP_FRAME_MIN	14u
#define QTAP_FRAME_MAX	65535u

struct qtap {
	int sock;			/* AF_PACKET, protocol 0: sends only, receives nothing */
	int ifindex;
	unsigned queues;
	int prog;			/* the steering program */
	int queue0;			/* a queue of our own to set it through */
};

/*
 * The kernel picks a tap queue for each frame it transmits; without a
 * steering program that is a flow table that ages out in seconds or a
 * hash with a boot-random key (tun_automq_select_queue), neither of which
 * replays. The program returns skb->mark, which the sending socket's
 * SO_MARK sets, so a frame reaches the queue the trace names. QEMU 7.2
 * takes a tap's steering program off whenever it turns RSS off, which
 * every VQ_PAIRS_SET does (virtio_net_disable_rss), so qtap_send puts it
 * back before each frame.
 */
static int steering_prog(char **cause)
{
	struct bpf_insn prog[2];
	union bpf_attr a;
	int fd;

	memset(prog, 0, sizeof prog);
	prog[0].code = BPF_LDX | BPF_W | BPF_MEM;	/* r0 = ((struct __sk_buff *)r1)->mark */
	prog[0].dst_reg = BPF_REG_0;
	prog[0].src_reg = BPF_REG_1;
	prog[0].off = offsetof(struct __sk_buff, mark);
	prog[1].code = BPF_JMP | BPF_EXIT;
	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = 2;
	a.license = (uint64_t)(uintptr_t)"MIT";
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
	if (fd < 0)
		cause_set(cause, QTAP_UNAVAILABLE ": cannot load the queue steering program: %s", strerror(errno));
	return fd;
}

/* A sysctl of the current namespace; IPv6 may be absent altogether, which is as good as off. */
static void sysctl_write(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, v, strlen(v)) < 0) {
		/* nothing to do: the interface then takes what the namespace defaults to */
	}
	close(fd);
}

static int if_ioctl(int sock, unsigned long req, struct ifreq *ifr, const char *what, char **cause)
{
	if (ioctl(sock, req, ifr) < 0)
		return cause_set(cause, "tap: %s: %s", what, strerror(errno));
	return 0;
}

/* Everything that must happen inside the new namespace. */
static int build(struct qtap *t, unsigned queues, int fd[QTAP_MAX_QUEUES], char **cause)
{
	struct ifreq ifr;
	struct sockaddr_ll sll;
	int one = 1;

	/* before the interface exists: it is born without IPv6 (no DAD, no router solicitation) */
	sysctl_write("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	sysctl_write("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	for (unsigned i = 0; i < queues; i++) {
		if ((fd[i] = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0)
			return cause_set(cause, QTAP_UNAVAILABLE ": /dev/net/tun: %s", strerror(errno));
		memset(&ifr, 0, sizeof ifr);
		snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", QTAP_IFNAME);
		/* no IFF_VNET_HDR: QEMU then offers no offloads, as with its socket backend */
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
		if (ioctl(fd[i], TUNSETIFF, &ifr) < 0)
			return cause_set(cause, QTAP_UNAVAILABLE ": TUNSETIFF: %s", strerror(errno));
	}
	if ((t->prog = steering_prog(cause)) < 0)
		return -1;
	if ((t->queue0 = fcntl(fd[0], F_DUPFD_CLOEXEC, 3)) < 0)
		return cause_set(cause, "tap: dup: %s", strerror(errno));
	if (ioctl(t->queue0, TUNSETSTEERINGEBPF, &t->prog) < 0)
		return cause_set(cause, QTAP_UNAVAILABLE ": TUNSETSTEERINGEBPF: %s", strerror(errno));
	sysctl_write("/proc/sys/net/ipv6/conf/" QTAP_IFNAME "/disable_ipv6", "1");
	if ((t->sock = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) < 0)
		return cause_set(cause, QTAP_UNAVAILABLE ": packet socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", QTAP_IFNAME);
	ifr.ifr_mtu = QTAP_MTU;
	if (if_ioctl(t->sock, SIOCSIFMTU, &ifr, "mtu", cause) < 0 ||
	    if_ioctl(t->sock, SIOCGIFFLAGS, &ifr, "flags", cause) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_NOARP;
	if (if_ioctl(t->sock, SIOCSIFFLAGS, &ifr, "up", cause) < 0 || if_ioctl(t->sock, SIOCGIFINDEX, &ifr, "index", cause) < 0)
		return -1;
	t->ifindex = ifr.ifr_ifindex;
	/* straight to the driver: the queue is chosen and the frame queued there before send returns */
	if (setsockopt(t->sock, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0)
		return cause_set(cause, "tap: PACKET_QDISC_BYPASS: %s", strerror(errno));
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = t->ifindex;
	if (bind(t->sock, (struct sockaddr *)&sll, sizeof sll) < 0)
		return cause_set(cause, "tap: bind: %s", strerror(errno));
	return 0;
}

struct qtap *qtap_new(unsigned queues, int fd[QTAP_MAX_QUEUES], char **cause)
{
	struct qtap *t = xcalloc(1, sizeof *t);
	int home, rc;

	t->sock = t->prog = t->queue0 = -1;
	t->queues = queues;
	for (unsigned i = 0; i < QTAP_MAX_QUEUES; i++)
		fd[i] = -1;
	if (queues < 1 || queues > QTAP_MAX_QUEUES) {
		cause_set(cause, "tap: %u queues (1 to %u)", queues, QTAP_MAX_QUEUES);
		free(t);
		return NULL;
	}
	/* Only this thread moves, and it comes back: the tap and the socket stay in the namespace. */
	if ((home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
		cause_set(cause, QTAP_UNAVAILABLE ": /proc/self/ns/net: %s", strerror(errno));
		free(t);
		return NULL;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		cause_set(cause, QTAP_UNAVAILABLE ": a network namespace of its own: %s", strerror(errno));
		close(home);
		free(t);
		return NULL;
	}
	rc = build(t, queues, fd, cause);
	/* (staying in the private namespace would harm nothing here: nothing else uses the network) */
	if (setns(home, CLONE_NEWNET) < 0)
		rc = cause_set(cause, "tap: cannot return to the original network namespace: %s", strerror(errno));
	close(home);
	if (rc < 0) {
		for (unsigned i = 0; i < queues; i++)
			if (fd[i] >= 0)
				close(fd[i]);
		for (unsigned i = 0; i < QTAP_MAX_QUEUES; i++)
			fd[i] = -1;
		qtap_free(t);
		return NULL;
	}
	return t;
}

int qtap_send(struct qtap *t, unsigned k, const uint8_t *frame, uint32_t len, char **cause)
{
	uint32_t mark = k;

	if (k >= t->queues)
		return cause_set(cause, "tap: a frame for queue %u, the tap has %u", k, t->queues);
	if (len < QTAP_FRAME_MIN || len > QTAP_FRAME_MAX)
		return cause_set(cause, "tap: a frame of %u bytes (the tap takes %u to %u)", len, QTAP_FRAME_MIN,
		    QTAP_FRAME_MAX);
	if (ioctl(t->queue0, TUNSETSTEERINGEBPF, &t->prog) < 0)
		return cause_set(cause, "tap: TUNSETSTEERINGEBPF: %s", strerror(errno));
	if (setsockopt(t->sock, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0)
		return cause_set(cause, "tap: SO_MARK: %s", strerror(errno));
	if (send(t->sock, frame, len, 0) != (ssize_t)len)
		return cause_set(cause, "tap: send of %u bytes: %s", len, strerror(errno));
	return 0;
}

void qtap_free(struct qtap *t)
{
	if (t == NULL)
		return;
	int fds[] = { t->sock, t->prog, t->queue0 };

	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(t);
}
