#!/bin/bash
# sonames.sh LIB...: each built shared library carries libevent 2.1's
# exact SONAME, which is the name an unmodified binary asks the dynamic
# loader for.  The expected SONAME is the library's file name up to ".so.7".
set -u
fail=0
for lib in "$@"; do
	want=$(basename "$lib" | sed -E 's/(\.so\.7).*/\1/')
	case $want in
	libevent-2.1.so.7|libevent_core-2.1.so.7|libevent_extra-2.1.so.7|libevent_pthreads-2.1.so.7) ;;
	*) echo "FAIL $lib: not one of the four libevent 2.1 libraries"; fail=1; continue ;;
	esac
	got=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	if [ "$got" = "$want" ]; then
		echo "ok   $want"
	else
		echo "FAIL $lib: SONAME '$got', want '$want'"
		fail=1
	fi
done
[ $# = 4 ] || { echo "FAIL: expected 4 libraries, got $#"; fail=1; }
exit $fail
