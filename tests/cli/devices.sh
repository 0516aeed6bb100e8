# tests/cli/devices.sh -- every device model end to end: decoded transactions, disk images, bad inputs
. "$srcdir/tests/cli/lib.sh"
# Recorded by the model guest, replayed with a log: the decoded summaries appear.
for d in blk net scsi rng console; do
	expect 0 "" "" "$VR" record --device $d --scenario basic --count 20 -o "$TMP/$d.vrt"
	expect 0 "" ": matched$" "$VR" replay "$TMP/$d.vrt" --log "$TMP/$d.log"
done
expect 0 "blk OUT sector=[0-9]+ len=512 status=OK$" "" cat "$TMP/blk.log"
expect 0 "blk IN sector=[0-9]+ len=512 status=OK$" "" cat "$TMP/blk.log"
expect 0 "blk FLUSH status=OK$" "" cat "$TMP/blk.log"
expect 0 "blk GET_ID len=20 status=OK$" "" cat "$TMP/blk.log"
expect 0 "scsi TEST_UNIT_READY lun=0 sense=06/29/00 status=CHECK_CONDITION$" "" cat "$TMP/scsi.log"
expect 0 "scsi INQUIRY lun=0 status=GOOD$" "" cat "$TMP/scsi.log"
expect 0 "scsi READ_CAPACITY\(10\) lun=0 status=GOOD$" "" cat "$TMP/scsi.log"
expect 0 "scsi WRITE\(10\) lba=[0-9]+ blocks=1 lun=0 status=GOOD$" "" cat "$TMP/scsi.log"
expect 0 "scsi READ\(10\) lba=[0-9]+ blocks=1 lun=0 status=GOOD$" "" cat "$TMP/scsi.log"
expect 0 "net tx len=64 status=OK$" "" cat "$TMP/net.log"
expect 0 "net rx len=92 frame=80 status=OK$" "" cat "$TMP/net.log"
expect 0 "rng IN len=16 status=OK$" "" cat "$TMP/rng.log"
expect 0 "console tx port=0 len=[0-9]+ status=OK$" "" cat "$TMP/console.log"
expect 0 "console rx port=0 len=[0-9]+ status=OK$" "" cat "$TMP/console.log"
# Device state in checkpoints: replay verifies them and can start from one.
for d in blk net scsi rng console; do
	expect 0 "" "" "$VR" record --device $d --scenario basic --count 20 --checkpoint-every 40 -o "$TMP/$d-ck.vrt"
	expect 0 "" ": matched$" "$VR" replay "$TMP/$d-ck.vrt"
	expect 0 "" ": matched$" "$VR" replay "$TMP/$d-ck.vrt" --from 200
done
# A disk image next to the trace: checked by SHA-256, read, never written.
mkdir "$TMP/img"
i=0
while [ $i -lt 64 ]; do printf 'image block %04d ' $i; i=$((i + 1)); done >"$TMP/img/disk.img"
cp "$TMP/img/disk.img" "$TMP/img-orig"
sum=$(sha256sum "$TMP/img/disk.img" | cut -d' ' -f1)
sed "s|^backend disk size \\(.*\\)\$|backend disk size \\1 image disk.img sha256 $sum|" "$TMP/blk.vrt" >"$TMP/img/blk.vrt"
expect 0 "image disk.img" "" grep '^backend' "$TMP/img/blk.vrt"
expect 0 "" ": matched$" "$VR" replay "$TMP/img/blk.vrt"
cmp -s "$TMP/img/disk.img" "$TMP/img-orig" || { echo "FAIL: replay changed the disk image"; fails=$((fails + 1)); }
bad=$(echo "$sum" | sed 's/^./0/; s/^00/11/')
sed "s|sha256 $sum|sha256 $bad|" "$TMP/img/blk.vrt" >"$TMP/img/bad.vrt"
expect 2 "" "image 'disk.img': contents do not match the header's sha256 $bad" "$VR" replay "$TMP/img/bad.vrt"
grep -q "$sum" "$TMP/err" && { echo "FAIL: the image's own sha256 is printed"; fails=$((fails + 1)); }
rm "$TMP/img/disk.img"
expect 2 "" "disk.img" "$VR" replay "$TMP/img/blk.vrt"
# An input the device cannot take is bad input, naming the event.
sed '0,/^input entropy/s/^input entropy/input disk/' "$TMP/rng.vrt" >"$TMP/rng-bad.vrt"
expect 2 "" "event [0-9]+ .*rng: input type 2 is not entropy" "$VR" replay "$TMP/rng-bad.vrt"
finish
