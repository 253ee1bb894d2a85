#!/usr/bin/env bash
# Builds sae-operators and the benchmarks, then runs JMH (args passed through, e.g. EncodeBenchmark -f 1).
# Never part of `mvn verify`: the benchmarks only run from here.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -o -pl benchmarks -am install -DskipTests
mvn -B -q -o -pl benchmarks dependency:build-classpath -Dmdep.includeScope=runtime \
    -Dmdep.outputFile=target/classpath.txt
exec java -Dai.djl.pytorch.num_threads="${THREADS:-2}" \
    -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" "${MAIN:-org.openjdk.jmh.Main}" "$@"
