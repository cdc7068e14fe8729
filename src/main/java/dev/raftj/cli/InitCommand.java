package dev.raftj.cli;

import dev.raftj.core.UserError;
import dev.raftj.model.Initializer;
import dev.raftj.model.ModelConfig;
import dev.raftj.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code raftj init}: a seeded random checkpoint from a Hugging Face config, for tests and benchmarks. */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = {"Write a new checkpoint with seeded random weights from a Hugging Face config.json "
                + "(gpt2, llama, qwen2; causal LM or sequence classification): config.json, "
                + "generation_config.json, model.safetensors and the tokenizer files of --tokenizer.",
                "The same config and seed give the same bytes on any machine.",
                "Example: raftj init --config benchmarks/gpt2-small.json "
                        + "--tokenizer src/test/resources/reference/gpt2-tokenizer --seed 0 --out /tmp/gpt2-small"})
public final class InitCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--config", required = true, description = "A Hugging Face config.json (any file name).")
    Path config;

    @Option(names = "--tokenizer", required = true, description = "Folder holding tokenizer.json (copied with "
            + "tokenizer_config.json, special_tokens_map.json, vocab.json, merges.txt when present).")
    Path tokenizer;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, description = "New checkpoint folder (must not exist, or be empty).")
    Path out;

    @Override
    public Integer call() {
        if (!Files.isDirectory(tokenizer)) throw new UserError(tokenizer + ": --tokenizer folder not found");
        ModelConfig c = ModelConfig.loadFile(config);
        Torch.ensureInit();
        long t0 = System.nanoTime();
        long params = Initializer.checkpoint(c, tokenizer, seed, out);
        spec.commandLine().getOut().printf("wrote %s: %s %s, %,d parameters, seed %d (%.1f s)%n", out, c.modelType,
                c.sequenceClassification ? "sequence classifier" : "causal LM", params, seed,
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
