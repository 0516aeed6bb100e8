# tests/cli/determinism.sh -- two replays of every bundled trace give byte-identical logs, pcaps and databases
# (the database apart from runs.started, the one wall-clock column).
. "$srcdir/tests/cli/lib.sh"
dbdump() {	# dbdump DB OUT: the whole database as SQL with the run timestamp blanked
	cp "$1" "$TMP/dump.db"
	sqlite3 "$TMP/dump.db" "update runs set started = ''" && sqlite3 "$TMP/dump.db" .dump >"$2"
}
n=0
for t in "$srcdir"/traces/*.vrt "$srcdir"/traces/*/*.vrt; do
	[ -f "$t" ] || continue
	n=$((n + 1))
	for i in 1 2; do
		rm -f "$TMP/r$i.db"
		# Run from a different directory the second time: nothing may depend on the cwd.
		(cd "$TMP" && "$VR" replay "$t" --quiet --log "$TMP/r$i.log" --pcap "$TMP/r$i.pcap" --db "$TMP/r$i.db" \
			>"$TMP/r$i.out" 2>"$TMP/r$i.err")
		echo $? >"$TMP/r$i.status"
		dbdump "$TMP/r$i.db" "$TMP/r$i.sql"
	done
	for f in status out log pcap sql; do
		if ! cmp -s "$TMP/r1.$f" "$TMP/r2.$f"; then
			echo "FAIL: $t: the two replays' $f differ"
			diff "$TMP/r1.$f" "$TMP/r2.$f" | head -10
			fails=$((fails + 1))
		fi
	done
	# The comparison must have compared something.
	[ -s "$TMP/r1.log" ] && [ -s "$TMP/r1.sql" ] || { echo "FAIL: $t: empty log or database"; fails=$((fails + 1)); }
done
[ "$n" -ge 1 ] || { echo "FAIL: no traces"; fails=$((fails + 1)); }
finish
