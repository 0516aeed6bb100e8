# tests/cli/browse-screen.sh -- browse on screen: selection kept across layout changes, divergences, small terminals
. "$srcdir/tests/cli/lib.sh"
mkdir -p "$TMP/t"
cp "$srcdir/traces/blk-basic.vrt" "$srcdir/traces/diverge/dma-bytes.vrt" "$srcdir/traces/malformed/desc-loop.vrt" "$TMP/t/"
$VR replay "$TMP/t/blk-basic.vrt" --db "$TMP/ok.db" --quiet 2>/dev/null || { echo "FAIL: replay blk-basic"; exit 1; }
$VR replay "$TMP/t/dma-bytes.vrt" --db "$TMP/div.db" --lenient --quiet >/dev/null 2>&1
[ $? -eq 1 ] || { echo "FAIL: replay dma-bytes should diverge"; exit 1; }
$VR replay "$TMP/t/desc-loop.vrt" --db "$TMP/viol.db" --quiet 2>/dev/null || { echo "FAIL: replay desc-loop"; exit 1; }
$VR replay "$srcdir/traces/scsi-basic.vrt" --db "$TMP/scsi.db" --quiet 2>/dev/null || { echo "FAIL: replay scsi-basic"; exit 1; }
# click X Y: button 1 pressed and released at 0-based column X, line Y, as the terminal reports it
# (X10 encoding, which TERM=screen announces; coordinates + 33 as bytes)
click() {
	xy="$(printf "\\$(printf %o $(($1 + 33)))")$(printf "\\$(printf %o $(($2 + 33)))")"
	text "$(printf '\033[M ')$xy"
	text "$(printf '\033[M#')$xy"
}
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

# ---- a byte divergence: the first differing offset, both sides with the differing bytes marked ----
start "'$TMP/div.db'"
keys 4
screen '^D +1 +132 +4904 +dma +requestq\.buffer +\+0x0: 00 -> 73 \(512 bytes\)' "first difference in the list"
not_on_screen '0x40100230' "the list does not show the address twice"
keys Enter
screen '^difference \+0x0: 00 -> 73 \(512 bytes\)' "the difference in the detail"
screen '│expected \(512 bytes\) +\| produced \(512 bytes\)' "expected and produced side by side"
screen '│00000000  00 65 63 74 6f 72 20 31 \.ector 1 \| 73 65 63 74 6f 72 20 31 sector 1' "the first line of both"
# the differing byte, and only it, in reverse bold and colour, on both sides
screen_e '│00000000  ~\[1;7m(~\[[0-9;]*m)*00~\[0m(~\[[0-9;]*m)* 65 63 74 6f 72 20 31 ~\[1;7m(~\[[0-9;]*m)*\.~\[0m' "expected byte highlighted"
screen_e '\| ~\[1;7m(~\[[0-9;]*m)*73~\[0m(~\[[0-9;]*m)* 65 63' "produced byte highlighted"
grep -q '│00000008  ~' "$TMP/screen.e" && { echo "FAIL: an equal line is highlighted"; fails=$((fails + 1)); }
not_on_screen '\^\^' "no marker line when colour is on"
keys q
exited 0

# NO_COLOR: no colour at all; the differing bytes still in reverse, and a marker line under them
start_sized 160 48 NO_COLOR=1 "'$TMP/div.db'"
keys 4 Enter
screen '│00000000  00 65 63 74 6f 72 20 31 \.ector 1 \| 73 65' "NO_COLOR: the bytes"
screen '│ {10}\^\^ {22}\^ {8}\| \^\^ {22}\^' "NO_COLOR: the marker line under the first byte"
screen '│00000008  37 37 36 3a' "NO_COLOR: the next line follows the marker"
screen_e '~\[1;7m00~\[0m' "NO_COLOR: reverse bold stays"
grep -Eq '~\[3[0-7]m|~\[4[0-7]m|~\[9[0-7]m' "$TMP/screen.e" && { echo "FAIL: NO_COLOR: colour on screen"; cat "$TMP/screen.e"; fails=$((fails + 1)); }
keys q
exited 0

# ---- 80x24: every column of the events list, the list tabs, the key bar; one pane at a time ----
start_sized 80 24 - "'$TMP/ok.db'"
screen '^\[1 events\]  2 transactions   3 violations   4 divergences' "80x24: the list tabs"
screen '^ +EVENT +OFFSET +VTIME +KIND +REGISTER / WHERE +VALUE +RECORDED$' "80x24: every column title"
screen '^ +1 +163 +0 +cfg-read +cfg\.vendor +0x1af4 +0x1af4$' "80x24: VALUE and RECORDED on screen"
screen '"linux-like init \(ms~ ' "80x24: a long cell is cut with ~"
screen '^event 0  \[196 events\]' "80x24: the status line"
screen '^/Search :Goto fFilter .*hHelp qQuit' "80x24: the key bar"
keys Enter
screen '^── detail ─' "80x24: the detail pane below the list"
screen '^kind +mark' "80x24: the detail"
not_on_screen ' hex \(' "80x24: one pane at a time"
keys Tab Tab
screen '^── hex \(' "80x24: Tab to the hex pane"
keys q
exited 0

# ---- columns sized to their content: a long TYPE keeps FIELDS and STATUS in line ----
start "'$TMP/scsi.db'"
keys 2
screen '^ +3 +2 requestq +0 +READ_CAPACITY\(10\) +lun=0 +GOOD +51 +116 +3 +0 +184-184$' "a long TYPE"
capture
c1=$(grep -E '^ +1 +2 requestq' "$TMP/screen" | grep -bo 'lun=0' | head -1 | cut -d: -f1)
c3=$(grep -E '^ +3 +2 requestq' "$TMP/screen" | grep -bo 'lun=0' | head -1 | cut -d: -f1)
[ -n "$c1" ] && [ "$c1" = "$c3" ] || { echo "FAIL: FIELDS not in one column ($c1, $c3)"; cat "$TMP/screen"; fails=$((fails + 1)); }
keys q
exited 0

# ---- rings: guest memory named by what it touches, filters by queue and ring field ----
start "'$TMP/ok.db'"
text ':109'; keys Enter
screen '^ +109 +[0-9a-f]+ +[0-9]+ +mem +requestq\.buffer 0x40100000 \[16\]' "a request's buffer"
# the queue depth row: requests in flight over the events on screen
screen '^  in flight +1 +[ .:#*=+-]*[.:#*=+-]' "the sparkline of the queue depth"
screen '^ +111 +[0-9a-f]+ +[0-9]+ +mem +requestq\.desc\[0\] 0x40010000 \[16\]' "a descriptor"
screen '^ +114 +[0-9a-f]+ +[0-9]+ +mem +requestq\.avail\.ring\[0\] 0x40011004 \[2\]' "an avail ring entry"
screen '^ +119 +[0-9a-f]+ +[0-9]+ +dma +requestq\.used\.ring\[0\] 0x40011244 \[8\]' "a used ring entry"
keys f; text 'requestq.used*'; keys Enter
screen 'filter requestq\.used\*: 18 events' "filter by ring"
screen '^ +117 +[0-9a-f]+ +[0-9]+ +dma +requestq\.used\.avail_event' "the used ring's rows"
not_on_screen ' mem ' "no avail or descriptor rows under requestq.used*"
keys f; text '*.desc[1]'; keys Enter
screen 'filter \*\.desc\[1\]: 6 events' "filter by one descriptor"
screen '^ +112 +[0-9a-f]+ +[0-9]+ +mem +requestq\.desc\[1\]' "descriptor 1"
keys f Enter
# the transactions of one queue, with their latency
keys 2 f; text 'requestq'; keys Enter
screen 'filter requestq: 6 transactions' "a queue's transactions"
screen '^ +ID +QUEUE +HEAD +TYPE +FIELDS +STATUS +OUT +IN +DESC +LAT +EVENTS$' "the transaction columns"
keys f; text '1'; keys Enter
screen 'filter 1: 0 transactions' "no queue 1"
keys q
exited 0

# ---- the mouse: a click selects a row, a click on a tab switches the list ----
start_sized 80 24 - "'$TMP/ok.db'"
screen '^event 0  \[196 events\]' "mouse: start"
click 10 7
screen '^event 5  \[196 events\]' "mouse: a click on the sixth row selects event 5"
click 20 0
screen '^ 1 events  \[2 transactions\]' "mouse: a click on a tab"
keys q
exited 0

# ---- search matches highlighted in the list and the detail, with and without colour; u hides them ----
start_sized 120 30 NO_COLOR=1 "'$TMP/ok.db'"
text '/cap_notify'; keys Enter
screen '^event 30  \[196 events\]' "search: the first match selected"
# a match in an unselected row: reverse bold; in the selected (reversed) row: bold underlined
screen_e '^(~\[[0-9;]*m)* +31 .*cfg\.~\[1;7m(~\[[0-9;]*m)*cap_notify~\[0m(~\[[0-9;]*m)*\.next' "search: a match in another row in reverse bold"
screen_e '^ ~\[7m +30 .*cfg\.~\[0;1;4m(~\[[0-9;]*m)*cap_notify~\[0;7m(~\[[0-9;]*m)*\.vndr' "search: the match in the selected row"
grep -Eq '~\[3[0-7]m' "$TMP/screen.e" && { echo "FAIL: NO_COLOR: colour on screen"; fails=$((fails + 1)); }
keys Enter
screen_e 'register +cfg\.~\[1;7m(~\[[0-9;]*m)*cap_notify~\[0m' "search: the match in the detail pane"
keys u
screen '^register +cfg\.cap_notify\.vndr' "u: redrawn"
capture -e
grep -q '1;7mcap_notify' "$TMP/screen" && { echo "FAIL: u does not hide the matches"; fails=$((fails + 1)); }
keys n
screen '^event 31  \[196 events\]' "n: the next match"
screen_e '~\[1;7mcap_notify' "n shows the matches again"
keys q
exited 0

# ---- a violation's detail, longer than the terminal, scrolled sideways ----
start_sized 80 24 - "'$TMP/viol.db'"
keys 3
screen 'violations 1, event 125' "violations list"
keys Tab
screen '^detail +queue 0: descriptor chain' "Tab: the detail pane"
not_on_screen '\(256\): loop' "the end of the detail is cut at 80 columns"
keys Right Right
screen '^ 0: descriptor chain from head 200 is longer than its table \(256\): loop' "Right scrolls the detail"
keys Left Left
screen '^detail +queue 0: descriptor chain' "Left scrolls back"
keys q
exited 0
finish
