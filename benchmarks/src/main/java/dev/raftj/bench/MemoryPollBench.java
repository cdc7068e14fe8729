package dev.raftj.bench;

import dev.raftj.torch.Torch;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of JavaCPP's resident-memory poll ({@link Torch#turnOffJavaCppMemoryPoll}): one small
 * LibTorch op (an 8-element add, a new Tensor object freed by its scope) with the poll off (raftj's
 * default) and on (an explicit limit, as JavaCPP's default of 4× the heap would be). JavaCPP reads
 * the setting once per JVM, so each case is its own fork.
 * <pre>java -cp CP org.openjdk.jmh.Main MemoryPollBench</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MemoryPollBench {
    private Tensor x;

    @Setup
    public void setup() {
        Torch.init(1);
        x = torch.ones(8);
    }

    private Tensor op() {
        try (PointerScope scope = new PointerScope()) {
            return x.add(x); // freed when the scope closes; only its Java object escapes
        }
    }

    @Benchmark
    @Fork(value = 1)
    public Tensor pollOff() {
        return op();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = "-Dorg.bytedeco.javacpp.maxPhysicalBytes=1000000000000")
    public Tensor pollOn() {
        return op();
    }
}
