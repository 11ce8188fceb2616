#!/bin/sh
# The old design, kept as the benchmark's reference: for each template in
# turn, a full clone, commit, push, and pull --rebase + push on rejection
# (3 attempts). Usage: old_cascade.sh VERSION URL...
# Credentials and hermetic git come from the caller's environment.
set -u
version=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
i=0
for url in "$@"; do
  i=$((i + 1))
  dir="$work/$i"
  if ! git clone -q "$url" "$dir"; then failed=1; continue; fi
  printf '%s\n' "$version" > "$dir/.runtime-version"
  git -C "$dir" add .runtime-version
  if git -C "$dir" diff --cached --quiet; then continue; fi
  git -C "$dir" commit -q -m "chore: pin runtime to $version (publish-runtime cascade)"
  n=0
  until git -C "$dir" push -q origin HEAD; do
    n=$((n + 1))
    if [ "$n" -ge 3 ]; then failed=1; break; fi
    git -C "$dir" pull -q --rebase origin || { failed=1; break; }
  done
done
exit $failed
