#!/bin/bash
# tmux.sh LIBDIR FACTSDIR: Debian's unmodified tmux on the engine's
# libevent_core-2.1.so.7 (LD_LIBRARY_PATH=LIBDIR), with a private socket.
# tmux drives its terminals and clients through bufferevents, so this is
# skipped, saying which names are missing, until our core library exports
# everything tmux imports; from then on it runs by itself:
#  1. a detached session runs a shell; keys sent to it produce output that
#     capture-pane finds (the shell computes it, so it is not an echo);
#  2. a 3 MiB file goes through load-buffer and save-buffer unchanged;
#  3. /proc/PID/maps of the server shows our libevent_core-2.1.so.7 only;
#  4. kill-server ends the server.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_programs tmux tmux
libdir=$(engine_libdir "$1") || exit 1
facts=$2/libevent_core-2.1.so.7.symbols
lib=$libdir/libevent_core-2.1.so.7
bin=$(command -v tmux)
[ -e "$lib" ] || fail "no $lib"

wanted=$(imports "$bin" "$facts" | wc -l)
missing=$(missing_imports "$bin" "$lib" "$facts")
if [ -n "$missing" ]; then
	skip "our libevent_core-2.1.so.7 exports $((wanted - $(echo "$missing" | wc -l)))" \
		"of the $wanted libevent names tmux imports; missing:" $missing
fi
echo "tmux imports $wanted libevent names; our library exports all of them"

work=$(mktemp -d)
sock=$work/sock
pid=
export LD_LIBRARY_PATH=$libdir TERM=xterm-256color SHELL=/bin/sh TMUX_TMPDIR=$work
unset TMUX
tm() { timeout 20 "$bin" -S "$sock" -f /dev/null "$@"; }
cleanup() {
	tm kill-server 2> /dev/null
	[ -n "$pid" ] && kill "$pid" 2> /dev/null
	rm -rf "$work"
}
trap cleanup EXIT

tm new-session -d -s dropin -x 100 -y 30 /bin/sh || fail "new-session failed (exit $?)"
pid=$(tm display-message -p '#{pid}') || fail "display-message failed"
echo "tmux server pid $pid"
check_maps "$pid" libevent_core-2.1.so.7 "$libdir"

tm send-keys -t dropin 'echo "dropin-$((6 * 7))-done"' Enter || fail "send-keys failed"
found=
for i in $(seq 50); do
	if tm capture-pane -p -t dropin | grep -qx 'dropin-42-done'; then
		found=1; break
	fi
	sleep 0.1
done
if [ -z "$found" ]; then
	tm capture-pane -p -t dropin
	fail "the shell's output never showed up in capture-pane"
fi
echo "send-keys -> shell -> capture-pane: ok"

head -c $((3 * 1024 * 1024)) /dev/urandom > "$work/in"
tm load-buffer -b big "$work/in" || fail "load-buffer failed"
tm save-buffer -b big "$work/out" || fail "save-buffer failed"
a=$(sha256sum < "$work/in") b=$(sha256sum < "$work/out" 2> /dev/null)
[ "$a" = "$b" ] || fail "3 MiB buffer changed on the way: $(stat -c %s "$work/out" 2>/dev/null) bytes back"
echo "3 MiB load-buffer/save-buffer round trip: checksums match"

tm kill-server || fail "kill-server failed"
for i in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
kill -0 "$pid" 2> /dev/null && fail "the tmux server outlived kill-server by 5 s"
pid=
echo "tmux on the engine: session, keys, capture, 3 MiB buffer, kill-server passed"
