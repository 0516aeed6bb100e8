# tests/check-layers.sh -- a lower layer never includes a higher one (ARCHITECTURE.md section 2)
# A header's layer is the directory of the .c file of the same name (vr/gmem.h -> src/machine/gmem.c),
# except for the interface headers listed in OVERRIDES.
set -u
: "${srcdir:=.}"
cd "$srcdir" || exit 99

OVERRIDES="event:util le:util vdev:machine violation:machine"
# layer -> layers it may include
allowed() {
	case $1 in
	util) echo "util" ;;
	trace) echo "util trace" ;;
	machine) echo "util machine" ;;
	dev) echo "util machine dev" ;;
	interop) echo "util trace interop" ;;
	run) echo "util trace machine dev interop run" ;;
	sinks) echo "util sinks" ;;
	check) echo "util check" ;;
	*) echo "" ;;
	esac
}
header_layer() {
	h=$1
	for o in $OVERRIDES; do
		[ "${o%%:*}" = "$h" ] && { echo "${o#*:}"; return; }
	done
	for l in util trace machine dev interop run sinks check; do
		[ -f "src/$l/$h.c" ] && { echo "$l"; return; }
	done
	# a header without a .c of its own: the layer whose sources use it most closely
	for l in util trace machine dev interop run sinks check; do
		grep -lq "include \"vr/$h.h\"" src/$l/*.c 2>/dev/null && { echo "$l"; return; }
	done
	echo unknown
}
bad=0
checked=0
for layer in util trace machine dev interop run sinks check; do
	ok=$(allowed "$layer")
	for f in src/$layer/*.c include/vr/*.h; do
		[ -f "$f" ] || continue
		case $f in
		include/*)
			hb=$(basename "$f" .h)
			[ "$(header_layer "$hb")" = "$layer" ] || continue ;;
		esac
		for inc in $(sed -n 's/^#include "vr\/\([a-z0-9_-]*\)\.h".*/\1/p' "$f"); do
			il=$(header_layer "$inc")
			checked=$((checked + 1))
			case " $ok " in
			*" $il "*) ;;
			*) echo "layer violation: $f ($layer) includes vr/$inc.h ($il)"; bad=1 ;;
			esac
		done
	done
done
echo "checked $checked includes"
[ $checked -gt 0 ] || { echo "no includes found: wrong srcdir?"; exit 1; }
exit $bad
