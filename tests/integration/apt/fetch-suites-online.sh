#!/bin/bash
# Online: `mkroot fetch SUITE` for one suite of manifests/ (meson runs one
# test per suite), checked as online_suite_check in lib.sh says. SKIP when
# the suite's mirror cannot be reached.
. "$(dirname "$0")/lib.sh"
[ $# = 1 ] || fail "usage: $0 SUITE"
online_suite_check "$1"
