# tests/cli/replay-from.sh -- --from N (seek to the last checkpoint) produces exactly what a full replay produces from N on
. "$srcdir/tests/cli/lib.sh"
# section LOG N: the log from event N's first line up to (not including) the run-end line.
section() {
	sed -n "/^#$2 /,/^== run end/p" "$1" | grep -v '^== run end'
}
for fmt in vrt vrb; do
	tr=$TMP/ck.$fmt
	"$VR" record --scenario bulk --count 300 --checkpoint-every 500 --seed 3 -o "$tr" ||
		{ echo "FAIL: record"; fails=$((fails + 1)); continue; }
	"$VR" replay "$tr" --quiet --log "$TMP/full.log" --db "$TMP/full.db" ||
		{ echo "FAIL: full replay of $tr"; fails=$((fails + 1)); }
	# A checkpoint event itself, the event after it, the middle of a stretch, the very start.
	cp_at=$(grep -n '^checkpoint' "$TMP/ck.vrt" | sed -n 2p | cut -d: -f1)
	for n in 1 777 2000 3001 4000; do
		expect 0 "" ": matched$" "$VR" replay "$tr" --from $n --log "$TMP/from.log"
		[ $n -ge 1000 ] && { grep -q "started from checkpoint at event" "$TMP/err" ||
			{ echo "FAIL: --from $n did not start from a checkpoint"; fails=$((fails + 1)); }; }
		section "$TMP/full.log" $n >"$TMP/a"
		section "$TMP/from.log" $n >"$TMP/b"
		if [ ! -s "$TMP/a" ] || ! cmp -s "$TMP/a" "$TMP/b"; then
			echo "FAIL: $tr: --from $n differs from the full replay from event $n on"
			diff "$TMP/a" "$TMP/b" | head -10
			fails=$((fails + 1))
		fi
		# Nothing before N is reported.
		if grep -q "^#$((n - 1)) " "$TMP/from.log"; then
			echo "FAIL: --from $n logged event $((n - 1))"; fails=$((fails + 1))
		fi
	done
	: "$cp_at"
	# --from and --to together: the events N..M (and the outputs recorded right after M).
	expect 0 "" "events +10[1-9] " "$VR" replay "$tr" --from 2000 --to 2100
	# Transactions in the database from N on equal the full replay's.
	"$VR" replay "$tr" --quiet --from 2000 --db "$TMP/from.db"
	q="select queue, head, type, fields, status, first_event from transactions where first_event >= 2000 order by first_event, id"
	sqlite3 "$TMP/full.db" "$q" >"$TMP/a"
	sqlite3 "$TMP/from.db" "$q" >"$TMP/b"
	if [ ! -s "$TMP/a" ] || ! cmp -s "$TMP/a" "$TMP/b"; then
		echo "FAIL: $tr: database transactions from 2000 differ"; diff "$TMP/a" "$TMP/b" | head; fails=$((fails + 1))
	fi
	rm -f "$TMP/full.db" "$TMP/from.db"
done
# --from past the end is bad usage of this trace.
expect 2 "" "ck.vrt: event 99999 is beyond the end" "$VR" replay "$TMP/ck.vrt" --from 99999
finish
