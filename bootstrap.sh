#!/bin/sh
# bootstrap.sh -- install missing Debian build dependencies, then autoreconf, configure and make.
# Safe to run twice: installs only what is missing and reconfigures only when needed.
set -eu
cd "$(dirname "$0")"

PKGS="build-essential autoconf automake pkg-config libzstd-dev zstd libsqlite3-dev sqlite3 \
libncurses-dev libpcap-dev libcriterion-dev tmux bc time \
qemu-system-x86 clang libxml2-utils zsh"
# qemu-system-x86: record --target qemu, crosscheck and the traces/qemu/ library (make check needs it)
# libxml2-utils: xmllint, which validates check --junit against tests/junit.xsd (make check)
# zsh: the zsh completion is tried in an interactive zsh (make check, tests/cli/completion.sh)

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "bootstrap: installing:$missing"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update
	$SUDO apt-get install -y --no-install-recommends $missing
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi
fi
if [ ! -f config.status ]; then
	./configure "$@"
fi
make -j"$(nproc 2>/dev/null || echo 2)"
