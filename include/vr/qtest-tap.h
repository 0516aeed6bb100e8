/* qtest-tap.h -- a multiqueue tap for QEMU's virtio-net, alone in a network namespace of its own */
#ifndef VR_QTEST_TAP_H
#define VR_QTEST_TAP_H
#include <stdint.h>

/*
 * qtap_new makes a tap interface with `queues` queues inside a fresh,
 * unnamed network namespace (IPv6 off, no address, up), so the only frames
 * that cross it are the guest's and the ones qtap_send injects; nothing of
 * the host's network sees it, and it vanishes with the last descriptor
 * (the caller's and QEMU's), whatever way the process ends.
 *
 * fd[i] are the queues' descriptors for QEMU (-netdev tap,fds=...): QEMU's
 * queue i is virtio-net queue pair i. A steering program makes the kernel
 * put a frame sent with qtap_send(t, k, ...) on queue k of those attached
 * (QEMU detaches the pairs VQ_PAIRS_SET turns off, so k must be one the
 * driver has on). Without /dev/net/tun, namespaces or BPF (not root) it
 * fails with a cause that starts "tap unavailable:".
 */
struct qtap;

#define QTAP_MAX_QUEUES	8
#define QTAP_UNAVAILABLE "tap unavailable"

struct qtap *qtap_new(unsigned queues, int fd[QTAP_MAX_QUEUES], char **cause);
/* One Ethernet frame for QEMU's queue k (14 to 65535 bytes). 0 / -1 + cause. */
int qtap_send(struct qtap *t, unsigned k, const uint8_t *frame, uint32_t len, char **cause);
void qtap_free(struct qtap *t);		/* NULL: no-op */

#endif
