# tests/cli/basic.sh -- the top-level command line: help, version, unknown commands
. "$srcdir/tests/cli/lib.sh"
expect 0 "^usage: virtio-replay <command>" "^$" $VR --help
expect 0 "replay" "" $VR --help
expect 0 "^virtio-replay [0-9]+\.[0-9]+" "" $VR --version
expect 2 "" "usage: virtio-replay" $VR
expect 2 "" "unknown command 'frobnicate'" $VR frobnicate
expect 2 "" "unknown command 'nope'" $VR help nope
# A mistyped command gets a suggestion; a name far from every command does not.
expect 2 "" "unknown command 'replya' \(did you mean 'replay'\?" $VR replya
expect 2 "" "did you mean 'minimize'\?" $VR minimise
expect 2 "" "did you mean 'check'\?" $VR help chekc
expect 2 "" "^virtio-replay: unknown command 'frobnicate' \(try virtio-replay --help\)$" $VR frobnicate
for c in replay record info dump convert cut runs; do
	expect 0 "^usage: virtio-replay $c" "" $VR help $c
	expect 0 "^usage: virtio-replay $c" "" $VR $c --help
done
finish
