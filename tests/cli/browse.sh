# tests/cli/browse.sh -- the browse command: refusals without a terminal, then the real TUI driven through tmux
. "$srcdir/tests/cli/lib.sh"
traces=$srcdir/traces

# Short, fixed trace paths: the status line shows the path, and where the source tree
# lives (make distcheck's is long) must not push the counters off the screen.
mkdir -p "$TMP/t/malformed" "$TMP/t/diverge"
cp "$traces/blk-basic.vrt" "$TMP/t/"
cp "$traces/malformed/desc-loop.vrt" "$TMP/t/malformed/"
cp "$traces/diverge/read-value.vrt" "$TMP/t/diverge/"
traces=$TMP/t
$VR replay "$traces/blk-basic.vrt" --db "$TMP/ok.db" --quiet 2>/dev/null ||
	{ echo "FAIL: replay blk-basic"; exit 1; }
$VR replay "$traces/malformed/desc-loop.vrt" --db "$TMP/viol.db" --quiet 2>/dev/null ||
	{ echo "FAIL: replay desc-loop"; exit 1; }
$VR replay "$traces/diverge/read-value.vrt" --db "$TMP/div.db" --lenient --quiet >/dev/null 2>&1
[ $? -eq 1 ] || { echo "FAIL: replay read-value should diverge"; exit 1; }
$VR replay "$traces/blk-basic.vrt" --db "$TMP/two.db" --quiet 2>/dev/null &&
	$VR replay "$traces/malformed/desc-loop.vrt" --db "$TMP/two.db" --quiet 2>/dev/null ||
	{ echo "FAIL: replay into two.db"; exit 1; }

# ---- refusals (no terminal needed: the database is checked first) ----
expect 0 "^usage: virtio-replay browse DB \[--run N\]" "" $VR browse --help
expect 2 "" "^virtio-replay: browse needs a terminal$" $VR browse "$TMP/ok.db"
expect 2 "" "^virtio-replay: $TMP/nosuch.db: No such file or directory$" $VR browse "$TMP/nosuch.db"
printf 'plain text, not a database at all; long enough to fill a header.........\n' >"$TMP/text.db"
expect 2 "" "text.db: not a virtio-replay database" $VR browse "$TMP/text.db"
expect 2 "" "ok.db: no run 9 " $VR browse "$TMP/ok.db" --run 9
expect 2 "" "browse: bad run number 'x'" $VR browse "$TMP/ok.db" --run x
expect 2 "" "browse: --run needs a run number" $VR browse "$TMP/ok.db" --run
expect 2 "" "browse: missing database" $VR browse
expect 2 "" "browse: unknown option '--frob'" $VR browse --frob "$TMP/ok.db"
expect 2 "" "browse: one database at a time" $VR browse "$TMP/ok.db" "$TMP/ok.db"
expect 2 "" "not a regular file" $VR browse "$TMP"
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$TMP/other.db" "CREATE TABLE t (x)"
	expect 2 "" "other.db: not a virtio-replay database" $VR browse "$TMP/other.db"
	cp "$TMP/ok.db" "$TMP/newer.db"
	sqlite3 "$TMP/newer.db" "PRAGMA user_version = 4"
	expect 2 "" "newer.db: schema version 4 is newer than this program's 3" $VR browse "$TMP/newer.db"
fi

# ---- the TUI in a private tmux server ----
. "$srcdir/tests/cli/browse-lib.sh"

# blk-basic: 196 events (0-195), 6 transactions
start "'$TMP/ok.db'"
screen '\[1 events\]' "title" && screen 'run 1 blk/qemu matched +196 events 6 txns' "title"
screen '^ +1 +163 +0 +cfg-read +cfg\.vendor +0x1af4 +0x1af4' "first events"
screen '^event 0  \[196 events\]' "status"
# goto and first/last
text ':100'; keys Enter
screen '^event 100  \[196 events\]' ":100"
keys G
screen '^event 195  \[196 events\]' "G"
keys g
screen '^event 0  \[196 events\]' "g"
keys j j j
screen '^event 3  \[196 events\]' "j"
keys k
screen '^event 2  \[196 events\]' "k"
# search a register name, repeat forwards and backwards
text '/notify[0]'; keys Enter
screen '^event 116  \[196 events\]' "/notify[0]"
keys n
screen '^event 130  \[196 events\]' "n"
keys n
screen '^event 144  \[196 events\]' "n again"
keys N
screen '^event 130  \[196 events\]' "N"
text '?queue_notify_off'; keys Enter
screen '^event 99  \[196 events\]' "?queue_notify_off"
screen 'common\.queue_notify_off' "the match is on screen"
text '/no-such-register'; keys Enter
screen 'pattern not found below: no-such-register' "failed search"
# the detail and hex panes of an event, then of a transaction
keys Enter
screen '^register   common\.queue_notify_off' "event detail"
screen ' detail .* hex ' "pane titles"
keys Escape
keys 2
screen '\[2 transactions\]' "transactions list"
screen '^ +1 +0 requestq +0 +OUT +sector=1776 len=512 +OK +528 +1 +3 +0 +116-116' "transaction row"
keys Enter
screen 'descriptor chain \(3\)' "descriptor walk"
screen 'OUT buffer \(528 bytes\)' "hex pane title"
screen '00000000  01 00 00 00 00 00 00 00  f0 06 00 00 00 00 00 00  \|\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\.\|' "hex bytes"
screen '00000010  73 65 63 74 6f 72 20 31  37 37 36 3a 20 74 68 65  \|sector 1776: the\|' "hex ascii"
keys Escape t
screen '\[3 violations\]' "t to violations"
screen '\(no violations in this run\)' "empty list"
keys T T
screen '\[1 events\]' "T back to events"
# filter by kind, then clear it
keys f; text 'bar-write'; keys Enter
screen 'filter bar-write: 36 events' "filter"
screen '^ +55 +[0-9a-f]+ +0 +bar-write +common\.device_status +0x0' "first bar-write"
not_on_screen ' cfg-read ' "filtered list"
keys f Enter
screen 'filter off: 196 events' "filter off"
# help lists the key table; q leaves the help, a second q the browser
keys h
screen 'd +next event with a divergence' "help"
screen 'q +quit' "help"
keys q
screen '\[1 events\]' "back from help"
# a smaller window redraws
$T resize-window -t "$sess" -x 90 -y 20 >/dev/null 2>&1
keys j
screen '^event 1  \[196 events\]' "after resize"
keys q
exited 0

# a violation: v jumps to its event, marked V
start "'$TMP/viol.db'"
screen '\[1 events\]' "violation db"
keys v
screen 'violation 1 at event 125' "v"
screen '^V +125 +[0-9a-f]+ +0 +bar-write +notify\[0\]' "V mark"
keys v
screen 'no further violation' "v at the last"
keys g V
screen 'no earlier violation' "V at the first"
keys 3 Enter
screen '^V +1 +125 .*desc-loop' "violations list"
screen 'detail +queue 0: descriptor chain from head 200 is longer than its table' "violation detail"
keys q
exited 0

# a divergence: d jumps to it, Enter shows the report
start "'$TMP/div.db'"
screen '\[1 events\]' "divergence db"
keys d
screen 'divergence 1 at event 105' "d"
screen '^D +105 +[0-9a-f]+ +0 +bar-read +common\.device_status +0xf +!0x4f' "D mark"
keys Enter
screen 'D #1 bar-read common\.device_status: expected 0x4f produced 0xf' "divergence at the event"
keys Escape 4 Enter
screen 'report:' "divergence detail"
screen 'expected: 0x4f' "divergence report"
keys G D
screen 'no earlier divergence|divergences 1' "D in the list"
keys q
exited 0

# ^C restores the terminal and exits 130
start "'$TMP/ok.db'"
screen '\[1 events\]' "before ^C"
keys C-c
exited 130

# --run picks an older run; the newest is the default
start "'$TMP/two.db'"
screen 'run 2 blk/qemu .*desc-loop' "newest run"
keys '['
screen 'run 1 blk/qemu .*blk-basic' "[ to the previous run"
keys q
exited 0
start "'$TMP/two.db' --run 1"
screen 'run 1 blk/qemu .*blk-basic' "--run 1"
keys q
exited 0
finish
