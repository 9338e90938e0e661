# lib.sh: shared helpers of the drop-in tests (sourced, not run).
#
# A drop-in test runs an unmodified Debian program on the engine with
# LD_LIBRARY_PATH alone.  Exit codes: 0 pass, 1 fail, 77 skipped (ctest's
# SKIP_RETURN_CODE).  A skip always says why; nothing passes silently.

SKIP=77

# skip MESSAGE...: stops the test as skipped, with the reason.
skip() {
	echo "SKIP: $*"
	exit $SKIP
}

# fail MESSAGE...: stops the test as failed.
fail() {
	echo "FAIL: $*"
	exit 1
}

# need_programs PACKAGES PROG...: skips unless every PROG is installed.
need_programs() {
	local pkgs=$1 p; shift
	for p in "$@"; do
		command -v "$p" > /dev/null ||
			skip "$p is not installed (apt-get install -y $pkgs)"
	done
}

# engine_libdir DIR: prints DIR resolved, refusing a system library
# directory.  DROPIN_VALIDATE_WITH_SYSTEM=1 lifts the refusal; it exists
# only to check a test's driving logic by hand against stock libevent and
# must never be set in the suite.
engine_libdir() {
	local dir
	dir=$(realpath "$1") || fail "no library directory $1" >&2
	case $dir in
	/lib/*|/usr/lib/*|/usr/local/lib/*)
		[ "${DROPIN_VALIDATE_WITH_SYSTEM:-}" = 1 ] ||
			fail "$dir is a system directory, not the engine's build" >&2
		echo "NOTE: validating against $dir (DROPIN_VALIDATE_WITH_SYSTEM=1): this run says nothing about the engine" >&2 ;;
	esac
	echo "$dir"
}

# missing_imports PROGRAM LIBRARY FACTS: prints the libevent names PROGRAM
# imports (those FACTS, the stock library's export list, contains) that
# LIBRARY does not export.
missing_imports() {
	local prog=$1 lib=$2 facts=$3
	nm -D --undefined-only "$prog" | awk '{ print $NF }' | sed 's/@.*//' |
		sort -u | comm -12 - <(sort -u "$facts") |
		comm -23 - <(nm -D --defined-only "$lib" | awk '{ print $3 }' | sort -u)
}

# imports PROGRAM FACTS: the libevent names PROGRAM imports.
imports() {
	nm -D --undefined-only "$1" | awk '{ print $NF }' | sed 's/@.*//' |
		sort -u | comm -12 - <(sort -u "$2")
}

# check_maps PID SONAME LIBDIR: PID has SONAME mapped from LIBDIR and no
# libevent library from anywhere else.
check_maps() {
	local pid=$1 soname=$2 dir=$3 maps
	maps=$(awk '$6 ~ /libevent/ { print $6 }' "/proc/$pid/maps" | sort -u) ||
		fail "cannot read /proc/$pid/maps"
	echo "libevent objects mapped by $pid:"
	echo "$maps" | sed 's/^/    /'
	echo "$maps" | grep -qF "$dir/$soname" ||
		fail "$soname from $dir is not mapped"
	if echo "$maps" | grep -v "^$dir/" | grep -q .; then
		fail "a libevent library from outside $dir is mapped"
	fi
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	local port i
	for i in $(seq 50); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}

# wait_listening PORT PID SECONDS: waits until PORT accepts connections
# while PID lives.
wait_listening() {
	local port=$1 pid=$2 i
	for i in $(seq $(($3 * 10))); do
		kill -0 "$pid" 2> /dev/null || return 1
		(exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && return 0
		sleep 0.1
	done
	return 1
}
