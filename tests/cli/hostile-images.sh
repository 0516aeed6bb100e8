# tests/cli/hostile-images.sh -- disk images named by a trace stay inside its directory (or --image-dir): no escape, no hang, no leaked hash
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces
# one_error NAME REGEX: stderr is exactly one line, "virtio-replay: " + REGEX
one_error() {
	n=$(wc -l < "$TMP/err")
	if [ "$n" -ne 1 ] || ! grep -Eq -- "^virtio-replay: $2" "$TMP/err"; then
		echo "FAIL: $1: want one line /virtio-replay: $2/, got:"; cat "$TMP/err"; fails=$((fails + 1))
	fi
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
# with_image OUT NAME SHA: blk-basic with its disk backed by image NAME
with_image() {
	sed "s|^backend disk size 0x100000\$|backend disk size 0x100000 image $2 sha256 $3|" "$T/blk-basic.vrt" > "$1"
	grep -q "^backend disk size 0x100000 image " "$1" || { echo "FAIL: could not make $1"; fails=$((fails + 1)); }
}

mkdir -p "$TMP/tr" "$TMP/imgs"
head -c 4096 /dev/zero > "$TMP/tr/zero.img"
cp "$TMP/tr/zero.img" "$TMP/imgs/zero.img"
Z=$(sha "$TMP/tr/zero.img")
printf 'secret: only the user may read this\n' > "$TMP/secret"
S=$(sha "$TMP/secret")

# A legitimate image next to the trace (zeros, as the recording's disk): matched.
with_image "$TMP/tr/ok.vrt" zero.img "$Z"
expect 0 "" "matched" "$VR" replay "$TMP/tr/ok.vrt"
# Elsewhere, named with --image-dir.
with_image "$TMP/ok2.vrt" zero.img "$Z"
expect 2 "" "" "$VR" replay --quiet "$TMP/ok2.vrt"
one_error "image missing next to the trace" "$TMP/ok2.vrt: header: backend 0: image 'zero.img': No such file or directory"
expect 0 "" "matched" "$VR" replay --image-dir "$TMP/imgs" "$TMP/ok2.vrt"

# Escapes, each with the right hash of the file outside (so only confinement can stop it).
with_image "$TMP/tr/dotdot.vrt" ../secret "$S"
expect 2 "^$" "" "$VR" replay --quiet --log "$TMP/dotdot.log" "$TMP/tr/dotdot.vrt"
one_error "..: escape" "$TMP/tr/dotdot.vrt: header: backend 0: image '../secret': a '\.\.' component is refused"
with_image "$TMP/tr/abs.vrt" "$TMP/secret" "$S"
expect 2 "^$" "" "$VR" replay --quiet "$TMP/tr/abs.vrt"
one_error "absolute path" "$TMP/tr/abs.vrt: header: backend 0: image '$TMP/secret': an absolute path is refused"
ln -s ../secret "$TMP/tr/link.img"
with_image "$TMP/tr/link.vrt" link.img "$S"
expect 2 "^$" "" "$VR" replay --quiet "$TMP/tr/link.vrt"
one_error "symlink" "$TMP/tr/link.vrt: header: backend 0: image 'link.img': is a symbolic link"
ln -s .. "$TMP/tr/up"
with_image "$TMP/tr/uplink.vrt" up/secret "$S"
expect 2 "^$" "" "$VR" replay --quiet "$TMP/tr/uplink.vrt"
one_error "symlinked directory" "$TMP/tr/uplink.vrt: header: backend 0: image 'up/secret': 'up' is a symbolic link or not a directory"
# Nothing of the secret reached an output.
for f in "$TMP/dotdot.log" "$TMP/out"; do
	[ ! -e "$f" ] || ! grep -q "only the user" "$f" || { echo "FAIL: the secret reached $f"; fails=$((fails + 1)); }
done

# A FIFO as image: refused at once (it used to hang in open()); a directory too.
mkfifo "$TMP/tr/fifo.img"
with_image "$TMP/tr/fifo.vrt" fifo.img "$Z"
expect 2 "" "" timeout 20 "$VR" replay --quiet "$TMP/tr/fifo.vrt"
one_error "fifo" "$TMP/tr/fifo.vrt: header: backend 0: image 'fifo.img': not a regular file"
mkdir "$TMP/tr/dir.img"
with_image "$TMP/tr/dir.vrt" dir.img "$Z"
expect 2 "" "" "$VR" replay --quiet "$TMP/tr/dir.vrt"
one_error "directory" "$TMP/tr/dir.vrt: header: backend 0: image 'dir.img': not a regular file"

# A wrong hash: the message gives the header's hash, never the file's own.
cp "$TMP/secret" "$TMP/tr/inside.img"
with_image "$TMP/tr/wrong.vrt" inside.img "$Z"
expect 2 "" "" "$VR" replay --quiet "$TMP/tr/wrong.vrt"
one_error "wrong sha256" "$TMP/tr/wrong.vrt: header: backend 0: image 'inside.img': contents do not match the header's sha256 $Z"
grep -q "$S" "$TMP/err" && { echo "FAIL: the image's own sha256 leaked"; fails=$((fails + 1)); }
# --json gives the same refusal as its error.
expect 2 '"error":".*image .\.\./secret.: a .\.\.. component is refused' "" "$VR" replay --json "$TMP/tr/dotdot.vrt"

finish
