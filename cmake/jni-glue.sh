# jni-glue.sh: sourced by build-native.sh and build-cpu.sh.
# jni_glue NAME SRC LIB SO TARGET CLASSPATH builds the JavaCPP JNI glue of dev.raftj.kernels.NAME
# next to its class (headers from SRC, linking SO from LIB) unless the glue is newer than both the
# class and SO. When the class or the classpath is missing it says so and returns 2; 1 when the
# build fails.
jni_glue() {
  local name=$1 src=$2 lib=$3 so=$4 target=$5 classpath=$6
  local classes=$target/classes
  local cls=$classes/dev/raftj/kernels/$name.class
  if [[ ! -f "$cls" || -z "$classpath" ]]; then
    echo "raftj: $name.class or classpath missing, its JNI glue not built"
    return 2
  fi
  local java=java
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then java=$JAVA_HOME/bin/java; fi
  local platform_dir=$classes/dev/raftj/kernels/linux-x86_64
  case "$(uname -m)" in aarch64) platform_dir=$classes/dev/raftj/kernels/linux-arm64 ;; esac
  local jni=$platform_dir/libjni$name.so
  if [[ -f "$jni" && "$jni" -nt "$cls" && "$jni" -nt "$so" ]]; then
    echo "raftj: JNI glue of $name up to date"
    return 0
  fi
  local start
  start=$(date +%s)
  "$java" -cp "$classpath" org.bytedeco.javacpp.tools.Builder -classpath "$classes" \
    -Dplatform.includepath="$src" -Dplatform.linkpath="$lib" -copylibs "dev.raftj.kernels.$name" || return 1
  echo "raftj: JNI glue of $name built in $(( $(date +%s) - start )) s ($platform_dir)"
}
