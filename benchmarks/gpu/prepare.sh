#!/usr/bin/env bash
# prepare.sh: run HERE (the machine with Maven, a JDK and nvcc) before a GPU call. Builds the
# project (with the CUDA library and its JNI glue), then packs into .dev/gpu/bundle.tgz (git-ignored,
# carried with `carry: [".dev/gpu"]`, under 64 MiB) what run.sh needs to run the Java GPU tests on a
# machine without Java:
#   jre/     a jlink runtime of this JDK 17 (java.base, java.logging, java.management,
#            jdk.unsupported; --compress=2, stripped libjvm; no java.desktop: +14 MiB for the run
#            plot alone, so raftj align writes no metrics.png there and says so)
#   lib/     raftj.jar (classes + CUDA libs), raftj-tests.jar, GpuTestMain, the JavaCPP, PyTorch (Java
#            classes only), openblas (Java classes only) and JUnit jars
#   native/  libjnitorch.so (the PyTorch 2.10 JNI, to load against the GPU machine's torch 2.11),
#            libjnijavacpp.so, libraftj_kernels.so, libjniNativeKernels.so
# Env: MVN_ARGS (e.g. "-o"), RAFTJ_NO_BUILD=1 (reuse target/ as it is).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
dev=$root/.dev/gpu
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$dev" "$stage/lib" "$stage/native" "$stage/classes"

if [[ "${RAFTJ_NO_BUILD:-0}" != 1 ]]; then
  echo "== mvn test-compile (builds libraftj_kernels.so and the JNI glue where nvcc is found)"
  # shellcheck disable=SC2086
  mvn -B -q ${MVN_ARGS:-} -DskipTests test-compile
fi
jni=target/classes/dev/raftj/kernels/linux-x86_64
if [[ ! -f "$jni/libjniNativeKernels.so" ]]; then
  echo "prepare.sh: $jni/libjniNativeKernels.so is missing: is nvcc installed (the pom runs cmake/build-native.sh)?" >&2
  exit 1
fi

echo "== classpath"
# shellcheck disable=SC2086
mvn -B -q ${MVN_ARGS:-} dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$stage/cp.txt" >/dev/null
tr ':' '\n' <"$stage/cp.txt" >"$stage/cp.lines"
engine=""
while read -r jar || [[ -n "$jar" ]]; do
  [[ -z "$jar" ]] && continue
  base=$(basename "$jar")
  case "$base" in
    pytorch-*-linux-x86_64.jar) torchjar=$jar ;;                        # 90 MB of natives: only the JNI is taken
    javacpp-*-linux-x86_64.jar) javacppnat=$jar; cp "$jar" "$stage/lib/" ;;
    *-linux-x86_64.jar) ;;                                              # openblas natives etc.: not needed
    *) cp "$jar" "$stage/lib/" ;;
  esac
  case "$base" in junit-platform-engine-*.jar) engine=${base#junit-platform-engine-}; engine=${engine%.jar} ;; esac
done <"$stage/cp.lines"
launcher=$HOME/.m2/repository/org/junit/platform/junit-platform-launcher/$engine/junit-platform-launcher-$engine.jar
if [[ ! -f "$launcher" ]]; then
  # shellcheck disable=SC2086
  mvn -B -q ${MVN_ARGS:-} dependency:get -Dartifact="org.junit.platform:junit-platform-launcher:$engine" >/dev/null
fi
cp "$launcher" "$stage/lib/"

echo "== jars and native libraries"
(cd target/classes && jar cf "$stage/lib/raftj.jar" .)
(cd target/test-classes && jar cf "$stage/lib/raftj-tests.jar" .)
javac -d "$stage/classes" -cp "$(ls "$stage"/lib/*.jar | tr '\n' ':')" benchmarks/gpu/GpuTestMain.java
(cd "$stage/classes" && jar cf "$stage/lib/gpu-test-main.jar" .)
unzip -q -j -o "$torchjar" 'org/bytedeco/pytorch/linux-x86_64/libjnitorch.so' -d "$stage/native"
unzip -q -j -o "$javacppnat" 'org/bytedeco/javacpp/linux-x86_64/libjnijavacpp.so' -d "$stage/native"
cp "$jni/libjniNativeKernels.so" "$jni/libraftj_kernels.so" "$stage/native/"
strip --strip-unneeded "$stage/native/libjnitorch.so" 2>/dev/null || true

echo "== jlink runtime"
jlink --add-modules java.base,java.logging,java.management,jdk.unsupported --compress=2 --strip-debug \
  --no-header-files --no-man-pages --output "$stage/jre"
strip --strip-unneeded "$stage/jre/lib/server/libjvm.so" 2>/dev/null || true
"$stage/jre/bin/java" -version 2>&1 | head -1

rm -rf "$stage/classes" "$stage/cp.txt" "$stage/cp.lines"
tar czf "$dev/bundle.tgz.tmp" -C "$stage" jre lib native
mv "$dev/bundle.tgz.tmp" "$dev/bundle.tgz"
size=$(stat -c %s "$dev/bundle.tgz")
echo "== $dev/bundle.tgz: $(( size / 1048576 )) MiB (carry limit 64 MiB with the working tree)"
du -sh "$stage"/* | sed 's|'"$stage"'/||'
if (( size > 56 * 1048576 )); then
  echo "prepare.sh: bundle too large for one carried call" >&2
  exit 1
fi
