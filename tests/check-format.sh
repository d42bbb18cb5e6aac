#!/bin/bash
# Every C file is formatted as .clang-format says (STYLE.md: one
# .clang-format at the root, checked in CI).
set -u
cd "${SRCDIR:?}"
command -v clang-format >/dev/null || { echo "SKIP: clang-format is not installed"; exit 77; }
# (.git is a file in a worktree: ask git, not the file system.)
git rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
        { echo "SKIP: not a git checkout (the file list comes from git)"; exit 77; }
mapfile -t files < <(git ls-files '*.c' '*.h')
[ ${#files[@]} -gt 0 ] || { echo "no C files found"; exit 1; }
clang-format --dry-run -Werror "${files[@]}" 2>&1 | head -40
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] && echo "formatted: ${#files[@]} files"
exit "$rc"
