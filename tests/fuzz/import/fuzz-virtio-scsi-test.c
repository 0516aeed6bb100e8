/*
 * QTest fuzzer-generated testcase for virtio-scsi device
 */
#include "qemu/osdep.h"
#include "libqtest.h"

static void test_mmio_oob_from_memory_region_cache(void)
{
    QTestState *s;

    s = qtest_init("-M pc-q35-5.2 -display none -m 512M "
                   "-device virtio-scsi,num_queues=8,addr=03.0 ");

    qtest_outl(s, 0xcf8, 0x80001811);
    qtest_outb(s, 0xcfc, 0x6e);
    qtest_outl(s, 0xcf8, 0x80001824);
    qtest_outl(s, 0xcf8, 0x8000181c);
    qtest_outl(s, 0xcfc, 0x9b2ffef8);
    qtest_bufwrite(s, 0x1000, "\x01\x00\x02\x03", 4);
    qtest_memset(s, 0x2000, 0xff, 0x10);
    qtest_outl(s, 0xcf8, 0x8000180e);
    qtest_outw(s, 0xcfc, 0x66);
    qtest_outl(s, 0x9b2ffef8, 0x0);
    qtest_quit(s);
}
