# tests/cli/hostile-memory.sh -- guest RAM is allocated as touched, up to --mem-limit; beyond it one message naming the event, exit 2
. "$srcdir/tests/cli/lib.sh"
one_error() {
	n=$(wc -l < "$TMP/err")
	if [ "$n" -ne 1 ] || ! grep -Eq -- "^virtio-replay: $2" "$TMP/err"; then
		echo "FAIL: $1: want one line /virtio-replay: $2/, got:"; cat "$TMP/err"; fails=$((fails + 1))
	fi
}
EVAT='event [0-9]+ \(offset 0x[0-9a-f]+\): '
# Sanitizer builds reserve terabytes of address space: no ulimit -v for them.
asan=0
grep -qa __asan_init "$VR" && asan=1

# Stores into 300 distinct pages under a 1 MiB limit: refused at the 257th page, with the event named.
{
	printf 'vrt 1\ndevice blk\nlayout qemu\nfeatures 0x100000000\nqueues 256\nram 0x0 0x40000000\nbackend disk size 0x100000\n'
	i=0
	while [ $i -lt 300 ]; do printf 'mem 0x%x 01\n' $((i * 4096)); i=$((i + 1)); done
} > "$TMP/pages.vrt"
expect 0 "" "" "$VR" replay --quiet "$TMP/pages.vrt"
expect 2 "" "" "$VR" replay --quiet --mem-limit 1M --log "$TMP/pages.log" "$TMP/pages.vrt"
one_error "--mem-limit 1M" "$TMP/pages.vrt: event 256 \(offset 0x[0-9a-f]+\): guest RAM limit reached"
[ "$(grep -c '^#[0-9]* mem ' "$TMP/pages.log")" -eq 257 ] ||
	{ echo "FAIL: the log should keep the stores up to the refused one (257)"; fails=$((fails + 1)); }
expect 2 "" "bad --mem-limit" "$VR" replay --mem-limit 12Q "$TMP/pages.vrt"

# The 117 KB binary trace of 192 stores of 16 MiB (3 GiB of guest RAM touched).
printf 'vrt 1\ndevice blk\nlayout qemu\nfeatures 0x100000000\nqueues 256\nram 0x0 0x10000000000\nbackend disk size 0x100000\n' > "$TMP/hdr.vrt"
"$VR" convert "$TMP/hdr.vrt" "$TMP/hdr.vrb" || { echo "FAIL: convert"; exit 1; }
python3 "$srcdir/tests/cli/mkstores.py" "$TMP/hdr.vrb" "$TMP/zero.vrb" 192 0 || { echo "FAIL: mkstores"; exit 1; }
python3 "$srcdir/tests/cli/mkstores.py" "$TMP/hdr.vrb" "$TMP/ones.vrb" 192 1 || { echo "FAIL: mkstores"; exit 1; }
[ "$(wc -c < "$TMP/zero.vrb")" -lt 150000 ] || { echo "FAIL: the zero-store trace is not small"; fails=$((fails + 1)); }
# rss KB CMD...: run CMD, its maximum resident set in KB goes to $TMP/rss
rss() { /usr/bin/time -f %M -o "$TMP/rss" "$@"; }
if [ -x /usr/bin/time ] && [ $asan -eq 0 ]; then
	# Zero stores into untouched RAM allocate nothing.
	expect 0 "" "" rss "$VR" replay --quiet "$TMP/zero.vrb"
	[ "$(tail -1 "$TMP/rss")" -lt 262144 ] || { echo "FAIL: zero stores took $(tail -1 "$TMP/rss") KB"; fails=$((fails + 1)); }
	# Real data stops at the limit, named by event, without taking more memory.
	expect 2 "" "" rss "$VR" replay --quiet --mem-limit 256M "$TMP/ones.vrb"
	one_error "ones, --mem-limit 256M" "$TMP/ones.vrb: event 16 \(offset 0x[0-9a-f]+\): guest RAM limit reached"
	[ "$(tail -1 "$TMP/rss")" -lt 524288 ] || { echo "FAIL: --mem-limit 256M took $(tail -1 "$TMP/rss") KB"; fails=$((fails + 1)); }
fi
if [ $asan -eq 0 ]; then
	# Under an address-space limit below the default limit the allocator says no first:
	# the same message, naming the event, exit 2 (it used to be exit 3 naming nothing).
	(ulimit -v 1048576; exec "$VR" replay --quiet "$TMP/ones.vrb") > "$TMP/out" 2> "$TMP/err"
	[ $? -eq 2 ] || { echo "FAIL: ulimit -v: want exit 2"; cat "$TMP/err"; fails=$((fails + 1)); }
	one_error "ones under ulimit -v 1 GiB" "$TMP/ones.vrb: ${EVAT}guest RAM limit reached"
	# Out of memory elsewhere names what was being done and exits 3.
	(ulimit -v 1048576; exec "$VR" replay --quiet --mem-limit 0 "$TMP/ones.vrb") > "$TMP/out" 2> "$TMP/err"
	st=$?
	[ $st -eq 2 ] || [ $st -eq 3 ] || { echo "FAIL: ulimit -v, no limit: exit $st"; fails=$((fails + 1)); }
	if [ $st -eq 3 ]; then
		one_error "out of memory" "out of memory \([0-9]+ bytes\) while replaying $TMP/ones.vrb at ${EVAT%: }"
	fi
fi

finish
