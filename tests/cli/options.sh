# tests/cli/options.sh -- one option parser for every command: forms, errors, and --help drawn from the declarations
. "$srcdir/tests/cli/lib.sh"
T="$srcdir/traces/blk-basic.vrt"
# The same option in every form the parser takes: --name VALUE, --name=VALUE, -x VALUE, -xVALUE.
expect 0 "" "" "$VR" cut "$T" --from 3 --to 9 -o "$TMP/a.vrt"
expect 0 "" "" "$VR" cut "$T" --from=3 --to=9 --output="$TMP/b.vrt"
cmp -s "$TMP/a.vrt" "$TMP/b.vrt" || { echo "FAIL: --name=VALUE differs from --name VALUE"; fails=$((fails + 1)); }
expect 0 "" "" "$VR" cut "$T" --from 3 --to 9 -o"$TMP/c.vrt"
cmp -s "$TMP/a.vrt" "$TMP/c.vrt" || { echo "FAIL: -oVALUE differs from -o VALUE"; fails=$((fails + 1)); }
# Options after arguments, and "--" ending the options (a file named like an option).
cp "$T" "$TMP/--from"
expect 0 "" "" "$VR" info --json -- "$TMP/--from"
expect 0 "^file " "" "$VR" info "$T"
# Grouped flags: -qv is -q -v (minimize -q is a flag, -o takes the rest of the group).
expect 0 "^$" "^$" "$VR" minimize -qo"$TMP/m.vrt" "$srcdir/traces/malformed/desc-loop.vrt"
# Errors: exit 2, one line naming the option, then the usage drawn from the table.
expect 2 "^$" "^virtio-replay replay: unknown option '--jsno' \(did you mean '--json'\?\)$" "$VR" replay --jsno "$T"
expect 2 "" "^usage: virtio-replay replay TRACE \[--db FILE\]" "$VR" replay --jsno "$T"
expect 2 "" "unknown option '-Z'" "$VR" dump -Z "$T"
expect 2 "" "cut: --from needs an argument N" "$VR" cut "$T" -o "$TMP/x.vrt" --from
expect 2 "" "info: --json takes no argument" "$VR" info --json=yes "$T"
expect 2 "" "bad --mem-limit '1X'" "$VR" replay --mem-limit=1X "$T"
expect 2 "" "bad --count 'many'" "$VR" dump --count many "$T"
# Every declared option of every command shows in its --help and its usage line, nothing else does.
for c in $("$VR" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'); do
	"$VR" $c --help >"$TMP/help" || { echo "FAIL: $c --help"; fails=$((fails + 1)); continue; }
	sed -n '/^Options:/,/^$/p' "$TMP/help" | grep -o '^  \(-., \)\?--[a-z0-9-]*' | sed 's/.*--//' | sort >"$TMP/listed"
	[ -s "$TMP/listed" ] || continue
	# each long option listed is accepted by the parser (no "unknown option" for it)
	while read -r o; do
		"$VR" $c --$o </dev/null >/dev/null 2>"$TMP/e"
		if grep -q "unknown option '--$o'" "$TMP/e"; then echo "FAIL: $c --$o listed but unknown"; fails=$((fails + 1)); fi
	done <"$TMP/listed"
done
finish
