# tests/cli/help.sh -- help CMD: the man page section on a terminal, the --help text otherwise
. "$srcdir/tests/cli/lib.sh"
# A stand-in for man that logs how it was called and exits $FAKEMAN_STATUS.
mkdir -p "$TMP/bin"
cat >"$TMP/bin/man" <<'EOS'
#!/bin/sh
echo "man $* LESS=$LESS" >>"$FAKEMAN_LOG"
exit "${FAKEMAN_STATUS:-0}"
EOS
chmod +x "$TMP/bin/man"
export FAKEMAN_LOG="$TMP/man.log"
: >"$FAKEMAN_LOG"
# No terminal (a pipe, as in CI): the --help text, man never runs.
PATH="$TMP/bin:$PATH" "$VR" help cut </dev/null >"$TMP/help" 2>&1
"$VR" cut --help >"$TMP/want"
cmp -s "$TMP/help" "$TMP/want" || { echo "FAIL: help cut without a terminal is not cut --help"; fails=$((fails + 1)); }
[ ! -s "$FAKEMAN_LOG" ] || { echo "FAIL: man ran without a terminal"; fails=$((fails + 1)); }
expect 2 "" "unknown command 'cutt' \(did you mean 'cut'" "$VR" help cutt
# On a terminal (script(1) gives one): man virtio-replay, the pager opened at the command's section.
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
	PATH="$TMP/bin:$PATH" script -qec "'$VR' help minimize" /dev/null >"$TMP/tty" 2>&1
	grep -q '^man virtio-replay LESS=.*-p^   minimize\$$' "$FAKEMAN_LOG" ||
		{ echo "FAIL: help minimize on a terminal did not open man at its section"; cat "$FAKEMAN_LOG"; fails=$((fails + 1)); }
	! grep -q "usage: virtio-replay minimize" "$TMP/tty" || { echo "FAIL: help text printed although man showed the page"; fails=$((fails + 1)); }
	# No page (man fails): the --help text after all.
	FAKEMAN_STATUS=16 PATH="$TMP/bin:$PATH" script -qec "'$VR' help minimize" /dev/null >"$TMP/tty" 2>&1
	grep -q "usage: virtio-replay minimize" "$TMP/tty" || { echo "FAIL: no fallback to the help text when man fails"; fails=$((fails + 1)); }
fi
# Every help text fits 100 columns (the usage line wraps there, option texts are wrapped by hand).
for c in "" $("$VR" --help | awk '/^  [a-z]/ {print $1}'); do
	"$VR" $c --help 2>&1 | awk -v c="${c:-virtio-replay}" 'length > 100 { print "FAIL: " c " --help: a line of " length " columns: " $0; bad = 1 } END { exit bad }' ||
		fails=$((fails + 1))
done
finish
