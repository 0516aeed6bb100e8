#!/usr/bin/env python3
"""feature-logs.py -- how the feature-property logs here were made: QEMU 7.2 driven over qtest as a guest would.

    python3 feature-logs.py high-half features-high-half.log
    python3 feature-logs.py iommu iommu-platform.log ,iommu_platform=on
    python3 feature-logs.py legacy legacy-ring-features.log ,indirect_desc=off,event_idx=off
    python3 feature-logs.py config blk-config-props.log ,num-queues=2,discard=off,write-zeroes=off,config-wce=off
    python3 feature-logs.py class blk-class.log ,class=0x0180
    python3 feature-logs.py net-mac net-mac.log ,mac=02:00:5e:10:00:01
    python3 feature-logs.py legacy-mac net-legacy-mac.log ,mac=02:00:5e:10:00:02

The third word is appended to -device virtio-blk-pci,addr=04.0,... (net-mac: virtio-net-pci);
import them with the same command line (see tests/cli/import.sh).
"""
import subprocess
import sys

DRIVE = ' -drive if=none,id=d0,driver=null-co,size=1M,read-zeroes=on'
B4 = 0xe0000000		# where the guest places the modern BAR 4


class Qemu:
    def __init__(self, args, log):
        self.p = subprocess.Popen(['qemu-system-x86_64', '-M', 'pc', '-nodefaults', '-display', 'none',
                                   '-qtest', 'stdio', '-qtest-log', log] + args.split(),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def cmd(self, c):
        self.p.stdin.write(c + '\n')
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError('qemu died: ' + self.p.stderr.read())
            if not line.startswith('IRQ'):
                break
        if not line.startswith('OK'):
            raise RuntimeError(c + ': ' + line)

    def close(self):
        self.p.stdin.close()
        self.p.terminate()
        self.p.wait()

    def cfgw(self, off, size, v):
        """Config space of 00:04.0 through 0xcf8/0xcfc."""
        self.cmd('outl 0xcf8 0x%x' % (0x80000000 | 4 << 11 | (off & ~3)))
        self.cmd('out%s 0x%x 0x%x' % ({1: 'b', 2: 'w', 4: 'l'}[size], 0xcfc + (off & 3), v))


def modern(props, log, device='virtio-blk-pci,addr=04.0,disable-legacy=on,drive=d0', backend=DRIVE):
    q = Qemu('-device ' + device + props + backend, log)
    q.cfgw(0x20, 4, B4 | 4)
    q.cfgw(0x24, 4, 0)
    q.cfgw(0x04, 2, 6)
    for s in (0, 1, 3):
        q.cmd('writeb 0x%x 0x%x' % (B4 + 0x14, s))
    return q


def high_half(log, props):
    """Reads only the high half of the device features, acks VERSION_1, then reads the device
    config's max_discard_sectors and max_write_zeroes_sectors (there when QEMU offers DISCARD)."""
    q = modern(props, log)
    q.cmd('writel 0x%x 0x1' % (B4 + 0x00))
    q.cmd('readl 0x%x' % (B4 + 0x04))
    q.cmd('writel 0x%x 0x1' % (B4 + 0x08))
    q.cmd('writel 0x%x 0x1' % (B4 + 0x0c))
    q.cmd('writeb 0x%x 0xb' % (B4 + 0x14))
    q.cmd('readb 0x%x' % (B4 + 0x14))
    q.cmd('readl 0x%x' % (B4 + 0x2024))
    q.cmd('readl 0x%x' % (B4 + 0x2030))
    q.close()


def config(log, props):
    """Reads only the high half of the device features, then the device config's num_queues,
    max_discard_sectors and max_write_zeroes_sectors (0xffffffff past the config QEMU has)."""
    q = modern(props, log)
    q.cmd('writel 0x%x 0x1' % (B4 + 0x00))
    q.cmd('readl 0x%x' % (B4 + 0x04))
    q.cmd('readw 0x%x' % (B4 + 0x2022))
    q.cmd('readl 0x%x' % (B4 + 0x2024))
    q.cmd('readl 0x%x' % (B4 + 0x2030))
    q.close()


def pci_class(log, props):
    """Reads the class code word (config 0x0a, as a driver matching on class and subclass does)."""
    q = modern(props, log)
    q.cmd('outl 0xcf8 0x80002008')
    q.cmd('inw 0xcfe')
    q.close()


def iommu(log, props):
    """Reads only the low half, acks VERSION_1 alone: QEMU refuses FEATURES_OK when it offers ACCESS_PLATFORM."""
    q = modern(props, log)
    q.cmd('writel 0x%x 0x0' % (B4 + 0x00))
    q.cmd('readl 0x%x' % (B4 + 0x04))
    q.cmd('writel 0x%x 0x1' % (B4 + 0x08))
    q.cmd('writel 0x%x 0x1' % (B4 + 0x0c))
    q.cmd('writeb 0x%x 0xb' % (B4 + 0x14))
    q.cmd('readb 0x%x' % (B4 + 0x14))
    q.close()


def legacy(log, props):
    """A legacy driver on the transitional device's I/O BAR 0: host features, guest features, status."""
    q = Qemu('-device virtio-blk-pci,addr=04.0,drive=d0' + props + DRIVE, log)
    q.cfgw(0x10, 4, 0xc000)
    q.cfgw(0x04, 2, 5)
    for s in (0, 1, 3):
        q.cmd('outb 0xc012 0x%x' % s)
    q.cmd('inl 0xc000')
    q.cmd('outl 0xc004 0x30000244')
    q.cmd('inl 0xc004')
    q.cmd('outb 0xc012 0x7')
    q.cmd('inb 0xc012')
    q.close()


def net_mac(log, props):
    """Reads the MAC from a modern virtio-net's device config (bytes 0-3, then 4-5)."""
    q = modern(props, log, 'virtio-net-pci,addr=04.0,disable-legacy=on', '')
    q.cmd('readl 0x%x' % (B4 + 0x2000))
    q.cmd('readw 0x%x' % (B4 + 0x2004))
    q.close()


def legacy_mac(log, props):
    """A legacy driver reads the device ID, enables MSI-X (the device config moves from 0x14 to 0x18
    of the I/O BAR), reads the MAC there, turns MSI-X off and writes a MAC of its own at 0x14."""
    q = Qemu('-device virtio-net-pci,addr=04.0' + props, log)
    q.cmd('outl 0xcf8 0x80002000')
    q.cmd('inl 0xcfc')
    q.cfgw(0x10, 4, 0xc000)
    q.cfgw(0x04, 2, 5)
    q.cfgw(0x9a, 2, 0x8000)
    q.cmd('inl 0xc018')
    q.cmd('inw 0xc01c')
    q.cfgw(0x9a, 2, 0)
    for i in range(6):
        q.cmd('outb 0x%x 0x%x' % (0xc014 + i, 0x10 + i))
    q.cmd('inl 0xc014')
    q.close()


if __name__ == '__main__':
    {'net-mac': net_mac, 'legacy-mac': legacy_mac, 'high-half': high_half, 'config': config, 'class': pci_class, 'iommu': iommu, 'legacy': legacy}[sys.argv[1]](sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else '')
