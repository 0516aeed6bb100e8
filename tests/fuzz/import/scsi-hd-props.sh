cat << EOF | qemu-system-x86_64 -device virtio-scsi-pci,id=scsi0,addr=4 -device scsi-hd,drive=d0,bus=scsi0.0,channel=0,scsi-id=0,lun=0,vendor=QEMU,ver=2.5+,serial=S1,write-cache=off -drive if=none,id=d0,driver=null-co,size=1M -qtest stdio
outl 0xc000 0x0
inl 0xc000
EOF
