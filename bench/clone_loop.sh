#!/bin/sh
# The stand-in for clone-based tools in `deno task bench --scale --versus`:
# for each URL in LIST, CONCURRENCY at a time, a plain clone, the file
# written, a commit and a push, and the clone removed.
# Usage: clone_loop.sh VERSION CONCURRENCY LIST
set -u
version=$1
concurrency=$2
list=$3
export version
xargs -P "$concurrency" -n 1 sh -c '
  dir=$(mktemp -d) || exit 1
  trap "rm -rf \"$dir\"" EXIT
  git clone -q "$1" "$dir/repo" || exit 1
  printf "%s\n" "$version" > "$dir/repo/.runtime-version"
  git -C "$dir/repo" -c user.name=bench -c user.email=bench@example.com \
    commit -q -am "chore: pin runtime to $version" || exit 1
  git -C "$dir/repo" push -q origin HEAD || exit 1
' sh < "$list"
