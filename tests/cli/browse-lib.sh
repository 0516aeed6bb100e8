# tests/cli/browse-lib.sh -- drive browse in a private tmux server: start a session, send keys, poll the screen
# Sourced after lib.sh by tests/cli/browse*.sh. Every check polls capture-pane until the
# expected text shows (at most about 10 s), so a loaded machine slows the test, not fails it.

# tmux is a build dependency (bootstrap.sh installs it): without it these tests fail rather than skip
command -v tmux >/dev/null 2>&1 || { echo "FAIL: tmux is not installed (bootstrap.sh installs it)"; exit 1; }

unset TMUX
T="tmux -L vrtest$$ -f /dev/null"
trap '$T kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT
n=0

# start_sized COLS LINES ENV DB ARGS...: a new session running browse under env ENV (a word
# such as NO_COLOR=1, or "-"); its exit status lands in $TMP/exit.N
start_sized() {
	cols=$1 lines=$2 envs=$3
	shift 3
	[ "$envs" = "-" ] && envs=
	n=$((n + 1))
	rm -f "$TMP/exit.$n"
	$T new-session -d -s "b$n" -x "$cols" -y "$lines" \
		"env TERM=screen $envs '$VR' browse $*; echo \$? >'$TMP/exit.$n'; sleep 30" ||
		{ echo "FAIL: tmux new-session"; exit 1; }
	sess=b$n
}
# start DB ARGS...: a 160x48 session
start() { start_sized 160 48 - "$@"; }
# keys ARGS...: send tmux key names (Enter, Escape, Tab, BTab...); text STRING: literal characters
keys() { $T send-keys -t "$sess" "$@"; }
text() { $T send-keys -t "$sess" -l "$1"; }
# capture [-e]: the pane into $TMP/screen (-e: with attribute escapes)
capture() { $T capture-pane -p $* -t "$sess" >"$TMP/screen" 2>/dev/null; }
# screen PATTERN [WHAT]: poll the pane until it matches
screen() {
	i=0
	while [ $i -lt 100 ]; do
		capture
		grep -Eq -- "$1" "$TMP/screen" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "FAIL: ${2:-screen}: does not show /$1/"
	cat "$TMP/screen"
	fails=$((fails + 1))
	return 1
}
# screen_e PATTERN [WHAT]: the same on the pane captured with its attribute escapes (ESC shown as ~)
screen_e() {
	i=0
	while [ $i -lt 100 ]; do
		capture -e
		tr '\033' '~' <"$TMP/screen" >"$TMP/screen.e"
		grep -Eq -- "$1" "$TMP/screen.e" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "FAIL: ${2:-screen}: does not show /$1/ (attributes as ~[...m)"
	cat "$TMP/screen.e"
	fails=$((fails + 1))
	return 1
}
# not_on_screen PATTERN WHAT: the pane, captured now, does not match
not_on_screen() {
	capture
	if grep -Eq -- "$1" "$TMP/screen"; then
		echo "FAIL: $2: screen shows /$1/"; cat "$TMP/screen"; fails=$((fails + 1))
	fi
}
# exited STATUS: browse ended with STATUS
exited() {
	i=0
	while [ ! -s "$TMP/exit.$n" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	got=$(cat "$TMP/exit.$n" 2>/dev/null)
	[ "$got" = "$1" ] || { echo "FAIL: browse exit status '$got', want $1"; fails=$((fails + 1)); }
}

# golden NAME [-e]: the pane (-e: with its attributes, ESC shown as ~) must equal
# tests/cli/golden/NAME.txt. Normalised: trailing blanks go (give the databases relative trace
# paths so the screens name the same files wherever $TMP lies). Polls until equal (about 10 s), then shows the difference.
# UPDATE_GOLDEN=1 writes the file instead (into $srcdir: review the diff before committing).
golden() {
	g="$srcdir/tests/cli/golden/$1.txt"
	i=0
	while :; do
		capture ${2:-}
		tr '\033' '~' <"$TMP/screen" | sed -e 's/ *$//' >"$TMP/golden.got"
		if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
			# wait for the screen to settle: the same twice in a row
			[ -f "$TMP/golden.prev" ] && cmp -s "$TMP/golden.prev" "$TMP/golden.got" && break
			cp "$TMP/golden.got" "$TMP/golden.prev"
		elif cmp -s "$g" "$TMP/golden.got"; then
			return 0
		fi
		[ $i -ge 100 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	rm -f "$TMP/golden.prev"
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		mkdir -p "$srcdir/tests/cli/golden"
		cp "$TMP/golden.got" "$g"
		echo "golden: wrote $g"
		return 0
	fi
	echo "FAIL: golden screen $1 differs (UPDATE_GOLDEN=1 rewrites it):"
	diff -u "$g" "$TMP/golden.got"
	fails=$((fails + 1))
	return 1
}
