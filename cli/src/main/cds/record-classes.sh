#!/usr/bin/env bash
# Records classes.txt, the classes the launcher archives for class data sharing (see ../../../../scopeflow): runs
# `scopeflow demo` (services, publishing, the Flink job, ClickHouse, a named query: 99.6 % of the classes a
# `scopeflow run --activations` loads) with the JVM's -XX:DumpLoadedClassList. Run it again after dependency
# upgrades; a stale list is harmless (missing classes are skipped, new ones load from jars), only slower.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
SCOPEFLOW_CLASS_ARCHIVE=off SCOPEFLOW_JAVA_OPTS="-XX:DumpLoadedClassList=$work/classes.txt" \
  "$root/scopeflow" demo --work-dir "$work/demo" >"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; exit 1; }
mv "$work/classes.txt" "$here/classes.txt"
rm -f "$root/cli/target/scopeflow.jsa" # the launcher archives the new list on its next start
echo "recorded $(grep -cv '^[#@]' "$here/classes.txt") classes into $here/classes.txt"
