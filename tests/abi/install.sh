#!/bin/bash
# install.sh CMAKE BUILDDIR WORKDIR CC: installs the build into a private
# prefix with `cmake --install --prefix`, then builds a consumer with
# nothing but `pkg-config --cflags --libs` for libevent, libevent_core and
# libevent_pthreads (plus an rpath to pkg-config's libdir) and runs it
# without LD_LIBRARY_PATH.  Each consumer must have loaded the engine from
# the private prefix: not Debian's libevent, not the build tree.
set -u
cmake=$1 build=$2 work=$3 cc=$4
here=$(cd "$(dirname "$0")" && pwd)
prefix=$work/prefix
rm -rf "$work" && mkdir -p "$work" || exit 1
prefix=$(realpath "$prefix" 2>/dev/null || echo "$prefix")

if ! "$cmake" --install "$build" --prefix "$prefix" > "$work/install.log" 2>&1; then
	echo "FAIL: cmake --install failed:"; cat "$work/install.log"; exit 1
fi
# GNUInstallDirs may pick lib or lib/<multiarch>: find where the .pc went.
pcdir=$(dirname "$(find "$prefix" -name libevent.pc | head -n1)")
if [ ! -f "$pcdir/libevent.pc" ]; then
	echo "FAIL: no libevent.pc under $prefix"; exit 1
fi
echo "pkg-config files in ${pcdir#$prefix/}"
export PKG_CONFIG_PATH=$pcdir
unset LD_LIBRARY_PATH PKG_CONFIG_LIBDIR

fail=0
# probe PCNAME EXPECTED_LIB [CFLAGS]: build, run, check one consumer.
probe() {
	local pc=$1 want=$2 extra=${3:-} got libdir flags out
	got=$(pkg-config --variable=prefix "$pc")
	if [ "$got" != "$prefix" ]; then
		echo "FAIL $pc: pkg-config found prefix '$got', not $prefix"; fail=1; return
	fi
	libdir=$(pkg-config --variable=libdir "$pc")
	flags=$(pkg-config --cflags --libs "$pc")
	echo "$pc: $flags"
	if ! "$cc" $extra -o "$work/probe-$pc" "$here/install-probe.c" $flags \
		-Wl,-rpath,"$libdir" > "$work/cc-$pc.log" 2>&1; then
		echo "FAIL $pc: the consumer does not build:"; cat "$work/cc-$pc.log"; fail=1; return
	fi
	if ! out=$("$work/probe-$pc" 2>&1); then
		echo "FAIL $pc: the consumer failed:"; echo "$out"; fail=1; return
	fi
	echo "$out" | sed 's/^/    /'
	case $(echo "$out" | sed -n 's/^version //p') in
	2.1.12-stable*) ;;
	*) echo "FAIL $pc: wrong version"; fail=1 ;;
	esac
	# Every probed symbol must come from WANT inside the prefix.
	echo "$out" | awk '/^loaded /' | while read -r _ sym file; do
		real=$(realpath "$file")
		case $real in
		"$libdir"/*|"$(realpath "$libdir")"/*) ;;
		*) echo "FAIL $pc: $sym loaded from $real, outside $libdir"; exit 1 ;;
		esac
		case $(basename "$file") in
		$want|libevent_pthreads-2.1.so.7) ;;
		*) echo "FAIL $pc: $sym from $(basename "$file"), want $want"; exit 1 ;;
		esac
	done || fail=1
}
probe libevent libevent-2.1.so.7
probe libevent_core libevent_core-2.1.so.7
probe libevent_pthreads libevent_core-2.1.so.7 -DPROBE_PTHREADS
[ $fail = 0 ] && echo "install: every consumer ran on the engine in $prefix"
exit $fail
