# tests/cli/check.sh -- `check`: a directory of traces against .expect files, TAP and JUnit reports
. "$srcdir/tests/cli/lib.sh"
T=$srcdir/traces

# The bundled library passes as a whole.
# (options after the directory, as in the README's CI examples)
expect 0 "^ok 1 - " "passed, 0 failed" $VR check "$T" --tap "$TMP/all.tap" --junit "$TMP/all.xml"
expect 0 "^1\.\.[0-9]+" "" cat "$TMP/all.tap"
expect 0 'failures="0"' "" cat "$TMP/all.xml"

# A suite with one passing, one wrongly expected and one malformed expectation.
mkdir -p "$TMP/suite/sub"
cp "$T/blk-basic.vrt" "$TMP/suite/a-good.vrt"
printf 'exit 0\nstderr : matched$\n' >"$TMP/suite/a-good.expect"
cp "$T/blk-basic.vrt" "$TMP/suite/b-wrong.vrt"
printf '# expects a divergence that does not happen\nexit 1\nstdout ^never$\n' >"$TMP/suite/b-wrong.expect"
cp "$T/blk-basic.vrt" "$TMP/suite/sub/c-badexpect.vrt"
printf 'exit 0\nfrobnicate 1\n' >"$TMP/suite/sub/c-badexpect.expect"
expect 1 "^not ok 2 - .*b-wrong.vrt" "exit 0, want 1" $VR check --junit "$TMP/s.xml" "$TMP/suite"
cp "$TMP/out" "$TMP/s.tap"
expect 0 "^ok 1 - .*a-good.vrt" "" cat "$TMP/s.tap"
expect 0 '^    - "stdout does not match /\^never\$/"' "" cat "$TMP/s.tap"
expect 0 "^not ok 3 - .*sub/c-badexpect.vrt" "" cat "$TMP/s.tap"
expect 0 "^  message: .*c-badexpect.expect: line 2: unknown key .*'frobnicate'" "" cat "$TMP/s.tap"
expect 0 'tests="3" failures="2"' "" cat "$TMP/s.xml"
if command -v python3 >/dev/null 2>&1; then
	expect 0 "" "" python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$TMP/s.xml"
fi

# A diverging trace whose expectation says so passes.
expect 0 "^ok 1 - " "" $VR check "$T/diverge/dma-bytes.vrt"

# Usage and bad input.
expect 2 "" "no trace or directory given" $VR check
expect 2 "" "nosuch: No such file or directory" $VR check "$TMP/nosuch"
mkdir -p "$TMP/empty"
expect 2 "" "no traces" $VR check "$TMP/empty"
expect 2 "" "--timeout wants seconds" $VR check --timeout 0 "$T"
finish
