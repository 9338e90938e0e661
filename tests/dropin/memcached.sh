#!/bin/bash
# memcached.sh LIBDIR FACTSDIR: Debian's unmodified memcached on the
# engine's libevent-2.1.so.7 (LD_LIBRARY_PATH=LIBDIR), on 127.0.0.1.
#  1. every libevent name memcached imports is exported by our library;
#  2. /proc/PID/maps shows our libevent-2.1.so.7 and no other libevent;
#  3. memccapable (the protocol conformance suite): every test passes;
#  4. memcslap: a bounded set and get load; memcached's own counters must
#     show every operation arrived (memcslap exits 0 even on failure);
#  5. memcached stops cleanly on SIGTERM.
# memcached's reported libevent version must be 2.1.12-stable too.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_programs "memcached libmemcached-tools" memcached memccapable memcslap memcstat
libdir=$(engine_libdir "$1") || exit 1
facts=$2/libevent-2.1.so.7.symbols
lib=$libdir/libevent-2.1.so.7
bin=$(command -v memcached)
[ -e "$lib" ] || fail "no $lib"

echo "memcached imports from libevent: $(imports "$bin" "$facts" | tr '\n' ' ')"
missing=$(missing_imports "$bin" "$lib" "$facts")
[ -z "$missing" ] || fail "our libevent-2.1.so.7 lacks what memcached imports:" $missing

work=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2> /dev/null && wait "$pid" 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# Start on a free port; retry if another process takes it first.
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
for try in 1 2 3 4 5; do
	port=$(free_port) || fail "no free port"
	LD_LIBRARY_PATH=$libdir "$bin" -l 127.0.0.1 -p "$port" -U 0 -t 2 -m 64 \
		"${user[@]}" > "$work/memcached.log" 2>&1 &
	pid=$!
	wait_listening "$port" "$pid" 5 && break
	kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null; pid=
	grep -q 'already in use' "$work/memcached.log" ||
		fail "memcached did not start: $(cat "$work/memcached.log")"
done
[ -n "$pid" ] || fail "memcached found no free port in 5 tries"
echo "memcached pid $pid on 127.0.0.1:$port"
check_maps "$pid" libevent-2.1.so.7 "$libdir"

# memccapable: all its ASCII and binary protocol tests must pass.
timeout 120 memccapable -h 127.0.0.1 -p "$port" -t 5 > "$work/capable.log" 2>&1
rc=$?
passed=$(grep -c '\[pass\]' "$work/capable.log")
if [ $rc != 0 ] || ! grep -q '^All tests passed' "$work/capable.log"; then
	cat "$work/capable.log"
	fail "memccapable failed (exit $rc)"
fi
echo "memccapable: $passed tests passed"

# stat NAME: one counter of the server.
stat() {
	timeout 10 memcstat --servers="127.0.0.1:$port" |
		awk -v k="$1:" '$1 == k { print $2 }'
}

# memcached reports the libevent version it got from event_get_version().
v=$(stat libevent)
case $v in
2.1.12-stable*) echo "memcached sees libevent $v" ;;
*) fail "memcached reports libevent version '$v'" ;;
esac

threads=2 per=5000
sets0=$(stat cmd_set) hits0=$(stat get_hits) miss0=$(stat get_misses)
[ -n "$sets0" ] || fail "memcstat cannot read the counters"
for t in set get; do
	timeout 120 memcslap -s "127.0.0.1:$port" -c $threads -e $per -t $t \
		> "$work/slap-$t.log" 2>&1 || fail "memcslap -t $t: exit $?"
	sed 's/^/    /' "$work/slap-$t.log" | grep -E 'Time to (set|get)'
	if grep -qiE 'error|failure|failed' "$work/slap-$t.log"; then
		cat "$work/slap-$t.log"; fail "memcslap -t $t reported errors"
	fi
done
# set: threads*per sets; get: per loads, then threads*per gets, all hits.
sets=$(( $(stat cmd_set) - sets0 )) hits=$(( $(stat get_hits) - hits0 ))
miss=$(( $(stat get_misses) - miss0 ))
echo "memcslap arrived: $sets sets, $hits hits, $miss misses"
[ "$sets" -ge $((threads * per + per)) ] || fail "sets lost: $sets"
[ "$hits" -ge $((threads * per)) ] || fail "gets lost: $hits hits"
[ "$miss" = 0 ] || fail "$miss gets missed"

kill -TERM "$pid"
for i in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
kill -0 "$pid" 2> /dev/null && fail "memcached ignored SIGTERM for 5 s"
wait "$pid"; rc=$?; pid=
[ $rc = 0 ] || fail "memcached exited with $rc: $(cat "$work/memcached.log")"
echo "memcached on the engine: conformance and load passed, clean stop"
