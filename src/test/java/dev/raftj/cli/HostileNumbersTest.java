package dev.raftj.cli;

import static dev.raftj.cli.CliTest.raftj;
import static dev.raftj.cli.Hostile.assertRefused;
import static dev.raftj.cli.Hostile.assertRefusedBeforeWriting;

import dev.raftj.Reference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Family 4 of issue 14: numbers that overflow, or that no machine could honour, are refused up
 * front with a message naming the flag or field and the limit, never an OutOfMemoryError or a
 * wrapped-around count; align refuses a negative --threads as generate does.
 */
class HostileNumbersTest {

    @ParameterizedTest(name = "generate {0}")
    @CsvSource(delimiter = '|', value = {
            "--max-new-tokens 2147483647 | --max-new-tokens,context of 128",
            "--max-new-tokens 2147483646 --prompt x | --max-new-tokens,context of 128",
            "--max-new-tokens 128 | --max-new-tokens,context of 128",
            "--max-new-tokens 0 | --max-new-tokens,>= 1",
            "--max-new-tokens -5 | --max-new-tokens",
            "--num-samples 2147483647 | --num-samples,2147483647",
            "--num-samples 1073741824 --prompt b --prompt c | --num-samples,3221225472",
            "--num-samples 0 | --num-samples",
            "--num-samples -3 | --num-samples",
            "--num-samples 100000000 | GiB,samples per prompt",
            "--num-samples 50000000 --batch-size 2147483647 | GiB",
            "--batch-size 0 | --batch-size",
            "--batch-size -2147483648 | --batch-size",
            "--top-k -1 | --top-k",
            "--top-k -2147483648 | --top-k",
            "--top-p 0 | --top-p",
            "--top-p 1.5 | --top-p",
            "--top-p -0.0 | --top-p",
            "--min-p 2 | --min-p",
            "--min-p -1e-300 | --min-p",
            "--temperature -1 | --temperature",
            "--temperature 1e309 | --temperature",
            "--threads -1 | --threads",
            "--threads 100000 | --threads,at most",
            "--device cuda:99999999999 | --device,cuda:99999999999",
            "--device cuda:128 | --device,cuda:128",
    })
    void generateRefusesImpossibleCounts(String flags, String mentions) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", Reference.model("gpt2-tiny").toString(),
                "--prompt", "Hello"));
        args.addAll(List.of(flags.strip().split(" ")));
        assertRefused(raftj(args.toArray(new String[0])), mentions.split(","));
    }

    @ParameterizedTest(name = "score {0}")
    @CsvSource(delimiter = '|', value = {"--threads -2 | --threads", "--threads 2147483647 | --threads"})
    void scoreRefusesImpossibleCounts(String flags, String mentions) {
        List<String> args = new ArrayList<>(List.of("score", "--reward-model", Reference.model("gpt2-reward-tiny").toString(),
                "--prompt", "a", "--response", "b"));
        args.addAll(List.of(flags.strip().split(" ")));
        assertRefused(raftj(args.toArray(new String[0])), mentions.split(","));
    }

    @ParameterizedTest(name = "align {0}")
    @CsvSource(delimiter = '|', value = {
            "--threads -3 | | --threads,>= 0",
            "--threads 5000 | | --threads,at most",
            " | threads: 5000 | run.yaml:5,field 'threads'",
            " | 'sampling: {k: 2147483647, max_new_tokens: 4}' | run.yaml,sampling.k,raft.batch_prompts",
            " | 'raft: {stages: 1, batch_prompts: 2147483647}' | run.yaml,sampling.k,4294967294",
            " | 'sampling: {k: 100000000, batch_size: 200000000, max_new_tokens: 4}' | run.yaml,GiB,sampling.batch_size",
            " | 'sft: {epochs: 2147483647, lr: 0.001, batch_size: 2}' | run.yaml,sft.epochs",
            " | 'sampling: {k: 2, max_new_tokens: 2147483647}' | train.jsonl:1,max_new_tokens 2147483647,context",
            " | 'sampling: {k: 2, max_new_tokens: 4, batch_size: -1}' | run.yaml,sampling.batch_size",
            "--algorithm rest | 'rest: {grow_steps: 2147483647}' | run.yaml,rest.grow_steps",
            "--stages 0 | | --stages",
            " | device: cuda:2147483648 | run.yaml,field 'device'",
    })
    void alignRefusesImpossibleCountsBeforeWriting(String flags, String yaml, String mentions, @TempDir Path tmp)
            throws Exception {
        Path cfg = yaml == null ? Hostile.alignConfig(tmp, "task:arith") : Hostile.alignConfig(tmp, "task:arith", yaml);
        if (yaml != null && yaml.startsWith("threads:")) {
            java.nio.file.Files.writeString(cfg, java.nio.file.Files.readString(cfg).replace("threads: 1\n", ""));
        }
        Path out = tmp.resolve("run");
        List<String> args = new ArrayList<>(List.of("align", "--config", cfg.toString(), "--out", out.toString()));
        if (flags != null) args.addAll(List.of(flags.strip().split(" ")));
        assertRefusedBeforeWriting(raftj(args.toArray(new String[0])), out, mentions.split(","));
    }
}
