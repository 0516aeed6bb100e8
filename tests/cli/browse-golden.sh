# tests/cli/browse-golden.sh -- browse screens compared whole with tests/cli/golden/*.txt (UPDATE_GOLDEN=1 rewrites them)
# Each case drives the browser in tmux to a screen the issue asked for, checks with `screen` that the
# keys took effect, then compares the whole pane (golden in browse-lib.sh). After a deliberate change
# of the screens: UPDATE_GOLDEN=1 make check TESTS=tests/cli/browse-golden.sh, then review git diff.
. "$srcdir/tests/cli/lib.sh"
# relative trace paths from $TMP: the title bar and the reports name them the same wherever $TMP is
mkdir -p "$TMP/t"
for f in blk-basic.vrt blk-msix.vrt blk-intx.vrt diverge/dma-bytes.vrt malformed/desc-loop.vrt; do
	cp "$srcdir/traces/$f" "$TMP/t/" || { echo "FAIL: copy $f"; exit 1; }
done
case $VR in /*) ;; *) VR=$(pwd)/$VR ;; esac
case $srcdir in /*) ;; *) srcdir=$(pwd)/$srcdir ;; esac
cd "$TMP" || exit 1
$VR replay t/blk-basic.vrt --db ok.db --quiet 2>/dev/null || { echo "FAIL: replay blk-basic"; exit 1; }
$VR replay t/blk-msix.vrt --db msix.db --quiet 2>/dev/null || { echo "FAIL: replay blk-msix"; exit 1; }
$VR replay t/blk-intx.vrt --db intx.db --quiet 2>/dev/null || { echo "FAIL: replay blk-intx"; exit 1; }
$VR replay t/dma-bytes.vrt --db div.db --lenient --quiet >/dev/null 2>&1
[ $? -eq 1 ] || { echo "FAIL: replay dma-bytes should diverge"; exit 1; }
$VR replay t/desc-loop.vrt --db viol.db --quiet 2>/dev/null || { echo "FAIL: replay desc-loop"; exit 1; }
click() {
	xy="$(printf "\\$(printf %o $(($1 + 33)))")$(printf "\\$(printf %o $(($2 + 33)))")"
	text "$(printf '\033[M ')$xy"
	text "$(printf '\033[M#')$xy"
}
. "$srcdir/tests/cli/browse-lib.sh"

# the selection bug: a row low in the list, Enter: the list shrinks around the selected row
start_sized 100 30 - "'$TMP/ok.db'"
screen '(h help, q quit)' "started"
keys -N 20 j
screen '^event 20  \[196 events\]' "20 rows down"
keys Enter
screen '^event 20  \(run 1\)' "the detail of the selected row"
golden selection-enter
keys q
exited 0

# a byte divergence: expected and produced side by side, the differing bytes highlighted
start_sized 160 30 - "'$TMP/div.db'"
screen '(h help, q quit)' "started"
keys 4 Enter
screen '^difference \+0x0' "divergence detail"
golden divergence-bytes -e
keys q
exited 0

# NO_COLOR: the same screen without colour, a '^' line under the differing bytes
start_sized 160 30 NO_COLOR=1 "'$TMP/div.db'"
screen '(h help, q quit)' "started"
keys 4 Enter
screen '│ {10}\^\^' "marker line"
golden divergence-nocolor -e
keys q
exited 0

# a violation's detail scrolled sideways, at 80x24
start_sized 80 24 - "'$TMP/viol.db'"
screen '(h help, q quit)' "started"
keys 3 Tab Right Right
screen '^ 0: descriptor chain from head 200 is longer than its table \(256\): loop' "scrolled detail"
golden violation-scrolled
keys q
exited 0

# 80x24: the events list with every column, the key bar
start_sized 80 24 - "'$TMP/ok.db'"
screen '(h help, q quit)' "started"
screen '^event 0  \[196 events\]' "80x24"
golden events-80x24
keys q
exited 0

# the queue view: one queue's transactions, and the events of its used ring
start_sized 120 24 - "'$TMP/ok.db'"
screen '(h help, q quit)' "started"
keys 2 f; text 'requestq'; keys Enter
screen 'filter requestq: 6 transactions' "queue filter"
golden queue-transactions
keys 1 f; text 'requestq.used*'; keys Enter
screen 'filter requestq\.used\*: 18 events' "ring filter"
golden queue-used-ring
keys q
exited 0

# a mouse click selects the row under it
start_sized 80 24 - "'$TMP/ok.db'"
screen '(h help, q quit)' "started"
screen '^event 0  \[196 events\]' "mouse: start"
click 10 7
screen '^event 5  \[196 events\]' "mouse: the clicked row"
golden mouse-click
keys q
exited 0

# the queue-state panel: ring indices, an MSI-X vector pending behind its mask, the ISR, heads in flight
start_sized 100 24 - "'$TMP/msix.db'"
screen '(h help, q quit)' "started"
text ':150'; keys Enter s
screen 'PENDING \(masked; delivered at event' "qstate: MSI-X pending"
golden qstate-msix-pending
keys q
exited 0
start_sized 100 24 - "'$TMP/intx.db'"
screen '(h help, q quit)' "started"
text ':102'; keys Enter s
screen 'ISR 0x01 pending' "qstate: ISR pending"
golden qstate-intx
keys q
exited 0
if command -v sqlite3 >/dev/null 2>&1; then
	# the models complete requests at once; an asynchronous completion is made by hand
	cp "$TMP/ok.db" "$TMP/async.db"
	# request 3 (taken at event 144) completes at 170: its used-ring writes move there too
	sqlite3 "$TMP/async.db" "UPDATE transactions SET last_event = 170, latency_events = 26 WHERE run = 1 AND id = 3;
		UPDATE dma_rows SET event = 170 WHERE run = 1 AND event = 144" ||
		{ echo "FAIL: sqlite3 update"; fails=$((fails + 1)); }
	start_sized 100 24 - "'$TMP/async.db'"
	screen '(h help, q quit)' "started"
	text ':150'; keys Enter s
	screen 'in flight \(head@taken\)' "qstate: heads in flight"
	golden qstate-inflight
	keys q
	exited 0
fi
finish
