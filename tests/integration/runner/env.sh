#!/bin/bash
# Environment and user: a clean default environment (nothing from the
# host), -e, --env-file, -w, -u by number and by name.
. "$(dirname "$0")/lib.sh"

export RR_HOST_SECRET=leaked
out=$(rr "$IMG" rrhelper env | sort | cut -d= -f1 | tr '\n' ' ')
[ "$out" = "HOME HOSTNAME PATH " ] || fail "default environment: $out"
out=$(rr -e FOO=bar -e RR_HOST_SECRET -e EMPTY= "$IMG" rrhelper env | sort | tr '\n' ' ')
case "$out" in *"FOO=bar"*"RR_HOST_SECRET=leaked"*) ;; *) fail "-e: $out" ;; esac
case "$out" in *"EMPTY= "*) ;; *) fail "-e EMPTY=: $out" ;; esac
printf '# comment\nA=1\n\nB=two words\n' >"$T/envfile"
out=$(rr --env-file "$T/envfile" -e A=override "$IMG" rrhelper env | sort | tr '\n' ';')
case "$out" in *"A=override;B=two words;"*) ;; *) fail "--env-file: $out" ;; esac
out=$(rr -e PATH=/bin "$IMG" sh -c 'echo $PATH')
[ "$out" = /bin ] || fail "-e PATH: $out"

out=$(rr "$IMG" sh -c 'id -u; echo $HOME; pwd')
[ "$out" = "0
/root
/" ] || fail "defaults: $out"
out=$(rr -u user "$IMG" sh -c 'id -u; id -g; id -G; echo $HOME')
[ "$out" = "1000
1000
1000 2000
/home/user" ] || fail "-u user: $out"
out=$(rr -u 1234:5678 "$IMG" sh -c 'id -u; id -g')
[ "$out" = "1234
5678" ] || fail "-u 1234:5678: $out"
out=$(rr -u nobody:user "$IMG" sh -c 'id -u; id -g')
[ "$out" = "65534
1000" ] || fail "-u nobody:user: $out"
expect_rc 125 rr -u nosuchuser "$IMG" true 2>/dev/null
out=$(rr -w /work/dir "$IMG" pwd)
[ "$out" = /work/dir ] || fail "-w: $out"
out=$(rr -w /home/user -u user "$IMG" sh -c 'touch mine && ls -n mine' | awk '{print $3}')
[ "$out" = 1000 ] || fail "-w/-u: file owner $out"

check_no_leftovers
echo PASS
