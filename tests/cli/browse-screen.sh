# tests/cli/browse-screen.sh -- browse on screen: selection kept across layout changes, divergences, small terminals
. "$srcdir/tests/cli/lib.sh"
mkdir -p "$TMP/t"
cp "$srcdir/traces/blk-basic.vrt" "$TMP/t/"
$VR replay "$TMP/t/blk-basic.vrt" --db "$TMP/ok.db" --quiet 2>/dev/null || { echo "FAIL: replay blk-basic"; exit 1; }
. "$srcdir/tests/cli/browse-lib.sh"

# ---- the selection survives the list shrinking (Enter opens the panes; the terminal shrinks) ----
start "'$TMP/ok.db'"
screen '^event 0  \[196 events\]' "start"
keys -N 40 j
screen '^event 40  \[196 events\]' "40 rows down"
keys Enter
screen '^event 40  \(run 1\)' "the detail pane shows the selected event"
screen '^event 40  \[196 events\]' "the status line still names the selected event"
screen '^ +40 +[0-9a-f]+ +[0-9]+ ' "the selected row is still on screen"
keys k
screen '^event 39  \(run 1\)' "k moves from the selected event"
screen '^event 39  \[196 events\]' "k: status"
keys Escape
keys -N 20 j
screen '^event 59  \[196 events\]' "20 rows further"
$T resize-window -t "$sess" -x 100 -y 16 >/dev/null 2>&1
screen '^ +59 +[0-9a-f]+ +[0-9]+ ' "after shrinking the terminal the selected row is on screen"
screen '^event 59  \[196 events\]' "after shrinking: status"
keys j
screen '^event 60  \[196 events\]' "after shrinking: j"
keys q
exited 0
finish
