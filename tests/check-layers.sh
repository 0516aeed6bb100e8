# tests/check-layers.sh -- a lower layer never includes or links to a higher one (ARCHITECTURE.md section 2)
# A header's layer is the directory of the .c file of the same name (vr/gmem.h -> src/machine/gmem.c),
# except for the interface headers listed in OVERRIDES. The link-level check reads the per-layer
# convenience libraries (libvr<layer>.a in the build directory) with nm: no symbol a layer's objects
# leave undefined may be defined by a layer it is not allowed to use.
set -u
: "${srcdir:=.}"
builddir=$(pwd)
cd "$srcdir" || exit 99

LAYERS="util trace machine dev interop run sinks check tui"
OVERRIDES="event:util le:util range:util virtio-spec:util vdev:machine violation:machine"
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
	tui) echo "util sinks tui" ;;
	*) echo "" ;;
	esac
}
header_layer() {
	h=$1
	for o in $OVERRIDES; do
		[ "${o%%:*}" = "$h" ] && { echo "${o#*:}"; return; }
	done
	for l in $LAYERS; do
		[ -f "src/$l/$h.c" ] && { echo "$l"; return; }
	done
	# a header without a .c of its own: the layer whose sources use it most closely
	for l in $LAYERS; do
		grep -lq "include \"vr/$h.h\"" src/$l/*.c 2>/dev/null && { echo "$l"; return; }
	done
	echo unknown
}
bad=0
checked=0
for layer in $LAYERS; do
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

# Link level: symbols each layer's library needs from elsewhere vs. symbols higher layers define.
if command -v nm >/dev/null 2>&1 && [ -f "$builddir/libvrmachine.a" ]; then
	tmp=${TMPDIR:-/tmp}/check-layers.$$
	mkdir -p "$tmp" || exit 99
	trap 'rm -rf "$tmp"' EXIT
	for l in $LAYERS; do
		lib=$builddir/libvr$l.a
		: >"$tmp/$l.def"
		: >"$tmp/$l.und"
		[ -f "$lib" ] || continue
		nm -g "$lib" 2>/dev/null | awk '$2 ~ /^[TDBRCGSV]$/ { print $3 }' | sort -u >"$tmp/$l.def"
		nm -g -u "$lib" 2>/dev/null | awk 'NF >= 2 && $1 == "U" { print $2 } NF == 1 && $1 !~ /:$/ { print $1 }' |
		    sort -u >"$tmp/$l.und"
	done
	links=0
	for l in $LAYERS; do
		ok=$(allowed "$l")
		for h in $LAYERS; do
			case " $ok " in *" $h "*) continue ;; esac
			for sym in $(comm -12 "$tmp/$l.und" "$tmp/$h.def"); do
				echo "link violation: libvr$l.a ($l) uses $sym from libvr$h.a ($h)"
				bad=1
			done
			links=$((links + 1))
		done
	done
	echo "checked $links layer pairs at link level"
else
	echo "link-level check skipped: no nm or no libvrmachine.a in $builddir"
fi
exit $bad
