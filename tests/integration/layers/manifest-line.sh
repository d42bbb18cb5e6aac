#!/bin/bash
# A manifest error names the line of the field at fault, not of its
# paragraph: "typo.manifest:2: unknown field 'Runn'" for line 2.
. "$(dirname "$0")/lib.sh"
cd "$T"
printf 'Base: scratch\nRunn: true\n' >typo.manifest
rc=0
"$MKROOT" build typo.manifest >out 2>err || rc=$?
[ "$rc" = 1 ] || fail "exit $rc"
[ ! -s out ] || fail "stdout: $(cat out)"
[ "$(cat err)" = "mkroot: typo.manifest:2: unknown field 'Runn'" ] || fail "message: $(cat err)"

# Further down, after comments and a multi-line value.
printf 'Base: scratch\n\n# a comment\nRun: true\n more\nWorkdir: rel\n' >wd.manifest
"$MKROOT" build wd.manifest 2>err && fail "wd.manifest accepted"
[ "$(cat err)" = "mkroot: wd.manifest:6: Workdir: 'rel' is not absolute" ] || fail "message: $(cat err)"
echo OK
