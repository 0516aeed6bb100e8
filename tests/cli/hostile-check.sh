# tests/cli/hostile-check.sh -- a suite is untrusted: .expect files, arguments and directory walking (issue 12)
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces
# a bounded wait: an attack that hangs check must fail this test, not hang it
run_for() { timeout 60 "$@"; }

# A FIFO as .expect does not hang check (it used to block in open() outside any timeout).
mkdir -p "$TMP/fifo"
cp "$T/blk-basic.vrt" "$TMP/fifo/a.vrt"
mkfifo "$TMP/fifo/a.expect"
expect 1 "^not ok 1 - .*a.vrt" "a.expect: not a regular file" run_for $VR check --timeout 5 "$TMP/fifo"

# An .expect that is a symlink (here to a secret) is refused without quoting the target.
mkdir -p "$TMP/link"
cp "$T/blk-basic.vrt" "$TMP/link/a.vrt"
printf 'secret-token-1234\n' >"$TMP/secret"
ln -s "$TMP/secret" "$TMP/link/a.expect"
expect 1 "symbolic link" "" $VR check --junit "$TMP/link.xml" "$TMP/link"
cat "$TMP/out" "$TMP/err" "$TMP/link.xml" >"$TMP/link.all"
expect 1 "" "" grep -q secret-token "$TMP/link.all"
# ... and so is an oversized one.
mkdir -p "$TMP/big"
cp "$T/blk-basic.vrt" "$TMP/big/a.vrt"
{ echo "exit 0"; i=0; while [ $i -lt 2000 ]; do echo "# padding padding padding padding padding"; i=$((i + 1)); done; } >"$TMP/big/a.expect"
expect 1 "larger than 65536 bytes" "" $VR check "$TMP/big"

# `args --log PATH` cannot overwrite a file: outputs are bare names, other options are refused.
mkdir -p "$TMP/args"
printf 'precious\n' >"$TMP/victim"
cp "$T/blk-basic.vrt" "$TMP/args/a.vrt"
printf 'args --log %s\n' "$TMP/victim" >"$TMP/args/a.expect"
cp "$T/blk-basic.vrt" "$TMP/args/b.vrt"
printf 'args --db=../../victim\n' >"$TMP/args/b.expect"
cp "$T/blk-basic.vrt" "$TMP/args/c.vrt"
printf 'args --json\n' >"$TMP/args/c.expect"
cp "$T/blk-basic.vrt" "$TMP/args/d.vrt"
printf 'args %s\n' "$T/diverge/used-len.vrt" >"$TMP/args/d.expect"
expect 1 "^not ok 4 " "" $VR check "$TMP/args"
cp "$TMP/out" "$TMP/args.tap"
[ "$(grep -c 'plain file name' "$TMP/args.tap")" -ge 4 ] || { echo "FAIL: output paths not refused"; fails=$((fails + 1)); }
[ "$(grep -c 'not allowed in an .expect' "$TMP/args.tap")" -ge 4 ] || { echo "FAIL: options not refused"; fails=$((fails + 1)); }
expect 0 "^precious$" "" cat "$TMP/victim"

# A bare output name goes to the trace's artifacts directory (kept only when the trace fails).
mkdir -p "$TMP/out1"
cp "$T/diverge/used-len.vrt" "$TMP/out1/u.vrt"
printf 'exit 0\nargs --log mine.log --pcap=p.pcap\n' >"$TMP/out1/u.expect"
cp "$T/blk-basic.vrt" "$TMP/out1/v.vrt"
printf 'args --log mine.log\n' >"$TMP/out1/v.expect"
expect 1 "^not ok 1 - .*u.vrt" "" $VR check --artifacts "$TMP/art" "$TMP/out1"
expect 0 "" "" test -s "$TMP/art/out1/u.vrt/mine.log"
expect 0 "" "" test -s "$TMP/art/out1/u.vrt/replay.db"
expect 1 "" "" test -e "$TMP/art/out1/v.vrt"
expect 1 "" "" test -e "$TMP/out1/mine.log"
# Without --artifacts the outputs go to a private directory that is removed afterwards.
expect 0 "^ok 1 " "" sh -c 'cd "$1" && "$2" check "$1/out1/v.vrt"' sh "$TMP" "$VR"
expect 0 "" "" test ! -e "$TMP/mine.log"

# Walking: a directory symlink loop, a `..` link and a symlink out of the suite are not followed;
# each trace runs once.
mkdir -p "$TMP/walk/suite/sub"
cp "$T/blk-basic.vrt" "$TMP/walk/outside.vrt"
cp "$T/blk-basic.vrt" "$TMP/walk/suite/a.vrt"
cp "$T/blk-basic.vrt" "$TMP/walk/suite/sub/b.vrt"
ln -s . "$TMP/walk/suite/sub/loop"
ln -s .. "$TMP/walk/suite/up"
ln -s ../outside.vrt "$TMP/walk/suite/ext.vrt"
ln -s a.vrt "$TMP/walk/suite/alias.vrt"
expect 0 "^1\.\.2$" "directory symlink not followed" run_for $VR check "$TMP/walk/suite"
cp "$TMP/out" "$TMP/walk.tap"
cp "$TMP/err" "$TMP/walk.err"
expect 1 "" "" grep -q "outside" "$TMP/walk.tap"
expect 0 "" "" grep -q "symlink leads out of the suite" "$TMP/walk.err"
# two roots naming the same traces still run each once
expect 0 "^1\.\.2$" "" run_for $VR check "$TMP/walk/suite" "$TMP/walk/suite/sub" "$TMP/walk/suite/a.vrt"

finish
