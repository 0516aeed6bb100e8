# tests/cli/completion.sh -- the bash completion made from the option declarations completes what the commands take
. "$srcdir/tests/cli/lib.sh"
expect 0 "^_virtio_replay\(\)" "^$" "$VR" completion bash
cp "$TMP/out" "$TMP/vr.bash"
expect 0 "^#compdef virtio-replay" "^$" "$VR" completion zsh
cp "$TMP/out" "$TMP/_virtio-replay"
expect 2 "" "unknown shell 'fish' \(bash or zsh\)" "$VR" completion fish
# The built script is the one the binary prints (make install ships it).
if [ -f completion/virtio-replay ]; then
	cmp -s completion/virtio-replay "$TMP/vr.bash" || { echo "FAIL: completion/virtio-replay is stale"; fails=$((fails + 1)); }
fi
# comp WORD... : the words of COMPREPLY after completing the command line (the last word is the one completed).
comp() {
	(
		cd "$TMP/files" && bash -c '
			. "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_virtio_replay virtio-replay "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' bash "$TMP/vr.bash" "$@"
	)
}
want() {
	w=$1
	shift
	got=$(comp "$@")
	[ "$got" = "$w" ] || { echo "FAIL: completing '$*': got '$got', want '$w'"; fails=$((fails + 1)); }
}
mkdir -p "$TMP/files/dir1" && : >"$TMP/files/a.vrt" && : >"$TMP/files/b.vrb"
want "replay " virtio-replay rep
want "check completion convert crosscheck cut " virtio-replay c
want "--layout --lenient --log --log-bytes " virtio-replay replay --l
want "qemu vbox " virtio-replay replay x.vrt --layout ""
want "a.vrt b.vrb dir1 " virtio-replay replay ""
want "dir1 " virtio-replay replay --image-dir ""
want "binary text " virtio-replay convert a.vrt b.vrb --to ""
want "--output " virtio-replay cut a.vrt --ou
want "a.vrt " virtio-replay replay b.vrb --db a.
# The scenario names are record --list's (the script comes from the same table).
scen=$("$VR" record --list | sed 1d | awk '{print $1}' | grep '^bu' | sort | tr '\n' ' ')
[ -n "$scen" ] || { echo "FAIL: no scenario starting with bu"; fails=$((fails + 1)); }
want "$scen" virtio-replay record --scenario bu
want "blk " virtio-replay record --device bl
want "bash zsh " virtio-replay completion ""
want "minimize " virtio-replay help mi
# Every option a command's --help lists is offered.
for c in replay check dump; do
	opts=$("$VR" $c --help | sed -n '/^Options:/,/^$/p' | grep -o '^  \(-., \)\?--[a-z0-9-]*' | sed 's/.*--/--/' | sort)
	for o in $opts; do
		case " $(comp virtio-replay $c --) " in
		*" $o "*) ;;
		*) echo "FAIL: $c: $o not completed"; fails=$((fails + 1)) ;;
		esac
	done
done
# --opt=value: bash hands the option, "=" and the value as three words.
want "qemu vbox " virtio-replay replay x.vrt --layout = ""
want "vbox " virtio-replay replay x.vrt --layout = v
want "a.vrt " virtio-replay replay b.vrb --db = a.
want "blk " virtio-replay record --device = bl
# zsh (bootstrap.sh installs it): the script parses, and an interactive zsh in tmux completes with it.
command -v zsh >/dev/null 2>&1 || { echo "FAIL: zsh is not installed (bootstrap.sh installs it)"; exit 1; }
zsh -n "$TMP/_virtio-replay" || { echo "FAIL: zsh -n rejects the zsh completion"; fails=$((fails + 1)); }
mkdir -p "$TMP/fp" "$TMP/zdot" && cp "$TMP/_virtio-replay" "$TMP/fp/"
printf 'fpath=(%s $fpath)\nautoload -Uz compinit && compinit -u -D\nPS1="zsh$ "\n' "$TMP/fp" >"$TMP/zdot/.zshrc"
unset TMUX
T="tmux -L vrzsh$$ -f /dev/null"
trap '$T kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT
$T new-session -d -s z -x 150 -y 30 "cd '$TMP/files' && env TERM=screen ZDOTDIR='$TMP/zdot' zsh -i" ||
	{ echo "FAIL: tmux new-session"; exit 1; }
# zline PATTERN: poll the pane (about 10 s at most) until its text matches
zline() {
	i=0
	while [ $i -lt 100 ]; do
		$T capture-pane -p -t z >"$TMP/zscreen" 2>/dev/null
		grep -Eq -- "$1" "$TMP/zscreen" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# ztab TYPED PATTERN: type TYPED at a fresh prompt, press Tab, want PATTERN on the screen
ztab() {
	$T send-keys -t z C-u C-l
	zline '^zsh\$ ?$' || { echo "FAIL: zsh: no prompt"; fails=$((fails + 1)); return; }
	$T send-keys -t z -l "$1"
	$T send-keys -t z Tab
	zline "$2" || { echo "FAIL: zsh: '$1' + Tab does not show /$2/:"; cat "$TMP/zscreen"; fails=$((fails + 1)); }
}
ztab 'virtio-replay rep' '^zsh\$ virtio-replay replay ?$'
ztab 'virtio-replay replay a.vrt --lay' '^zsh\$ virtio-replay replay a\.vrt --layout=$'
ztab 'virtio-replay replay a.vrt --layout=v' '^zsh\$ virtio-replay replay a\.vrt --layout=vbox ?$'
ztab 'virtio-replay replay a.vrt --layout ' 'qemu +vbox'
ztab 'virtio-replay replay b.vrb --db=a.' '^zsh\$ virtio-replay replay b\.vrb --db=a\.vrt ?$'
ztab 'virtio-replay record --device=bl' '^zsh\$ virtio-replay record --device=blk ?$'
$T kill-server >/dev/null 2>&1
finish
