cat << EOF | qemu-system-x86_64 -M pc -device virtio-net-pci,addr=04.0,disable-legacy=on,mac=02-00-5E-10-00-01 -qtest stdio
outl 0xcf8 0x80002020
outl 0xcfc 0xe0000004
outl 0xcf8 0x80002004
outw 0xcfc 0x6
readl 0xe0002000
readw 0xe0002004
EOF
