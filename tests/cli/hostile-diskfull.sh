# tests/cli/hostile-diskfull.sh -- the database fills up mid-run: the run row counts only what was stored
. "$srcdir/tests/cli/lib.sh"
# 12,000 requests (about 133,000 event rows: three batches of 65,536) and a file-size limit
# standing in for a full disk; SIGXFSZ ignored so the write fails with an error instead.
expect 0 "" "" "$VR" record --scenario bulk --count 12000 -o "$TMP/bulk.vrb"
full() {	# full BLOCKS: replay under ulimit -f BLOCKS into a fresh $TMP/f.db
	rm -f "$TMP/f.db" "$TMP/f.db-wal" "$TMP/f.db-shm"
	(trap '' XFSZ; ulimit -f "$1" && exec "$VR" replay --quiet --db "$TMP/f.db" "$TMP/bulk.vrb") >"$TMP/out" 2>"$TMP/err"
}
aborted=0
for blocks in 4500 9000 11000 24000; do
	full "$blocks"
	rc=$?
	if [ $rc -ne 0 ]; then
		grep -q "f.db: .*error" "$TMP/err" || { echo "FAIL: limit $blocks: exit $rc without the database's error"; cat "$TMP/err"; fails=$((fails + 1)); }
	fi
	row=$(sqlite3 "$TMP/f.db" "select outcome, complete, events, transactions, violations, divergences from runs") ||
		{ echo "FAIL: limit $blocks: the database does not open"; fails=$((fails + 1)); continue; }
	stored=$(sqlite3 "$TMP/f.db" "select (select count(*) from event_rows), (select count(*) from transactions),
		(select count(*) from violations), (select count(*) from divergences)")
	case $row in
	aborted\|0\|*)
		aborted=$((aborted + 1))
		# The counters are what the database holds, not what was attempted.
		[ "${row#aborted|0|}" = "$stored" ] ||
			{ echo "FAIL: limit $blocks: run row says $row, the database holds $stored"; fails=$((fails + 1)); } ;;
	matched\|1\|*) ;;
	running\|0\|0\|0\|0\|0) ;;	# not even the abort fitted: the row claims nothing
	*) echo "FAIL: limit $blocks: run row $row (stored $stored)"; fails=$((fails + 1)) ;;
	esac
done
[ $aborted -gt 0 ] || { echo "FAIL: no limit made the run abort (the test proves nothing)"; fails=$((fails + 1)); }
# The log and the pcap each say their own error (not another file's stale errno).
expect 2 "" "" "$VR" replay --quiet --db "$TMP/n.db" --log /dev/full --pcap /dev/full "$srcdir/traces/net-basic.vrt"
n=$(grep -c "^virtio-replay: /dev/full: write error: No space left on device$" "$TMP/err")
[ "$n" -eq 2 ] || { echo "FAIL: want the log's and the pcap's ENOSPC, got:"; cat "$TMP/err"; fails=$((fails + 1)); }
finish
