package dev.raftj.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.raftj.core.UserError;
import dev.raftj.data.Tokenizer;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.generate.SamplingParams;
import dev.raftj.lora.PeftFiles;
import dev.raftj.model.CausalLM;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code raftj generate}: sample continuations of prompts from a causal LM. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate continuations of prompts with a Hugging Face causal LM (GPT-2, Llama, Qwen2).")
public final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model folder: config.json, model.safetensors, tokenizer.json.")
    Path model;

    @Option(names = "--adapter", description = "A LoRA adapter folder as PEFT saves it (adapter_config.json, "
            + "adapter_model.safetensors) to apply to --model.")
    Path adapter;

    @Option(names = "--prompt", required = true, description = "A prompt; repeat for several (batched together).")
    List<String> prompts;

    @Option(names = "--max-new-tokens", defaultValue = "32", description = "New tokens per sample at most (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @ArgGroup(exclusive = true)
    Decoding decoding = new Decoding();

    static final class Decoding {
        @Option(names = "--greedy", description = "Greedy decoding (argmax).")
        boolean greedy;

        @ArgGroup(exclusive = false)
        Sampling sampling = new Sampling();
    }

    static final class Sampling {
        @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
        double temperature = 1.0;
        @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens; 0 = off (default).")
        int topK;
        @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass; 1 = off (default).")
        double topP = 1.0;
        @Option(names = "--min-p", defaultValue = "0.0", description = "Drop tokens below min-p × the top probability; 0 = off (default).")
        double minP;
    }

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--num-samples", defaultValue = "1", description = "Samples per prompt (default: ${DEFAULT-VALUE}).")
    int numSamples;

    @Option(names = "--ignore-eos", description = "Do not stop at end-of-sequence: exactly --max-new-tokens per sample.")
    boolean ignoreEos;

    @Option(names = "--batch-size", defaultValue = "512",
            description = "Sequences generated together (prompts × samples per pass; default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--format", defaultValue = "text", description = "text or json (one object per line per sample).")
    Format format;

    @Mixin ModelOptions modelOptions;

    enum Format { text, json }

    /** Every number a flag gives, checked before anything loads; errors name the flag. */
    private void checkFlags(Sampling s) {
        if (maxNewTokens < 1) throw new UserError("--max-new-tokens must be >= 1, got " + maxNewTokens);
        if (numSamples < 1) throw new UserError("--num-samples must be >= 1, got " + numSamples);
        if (batchSize < 1) throw new UserError("--batch-size must be >= 1, got " + batchSize);
        if (!(s.temperature >= 0) || !Double.isFinite(s.temperature)) {
            throw new UserError("--temperature must be a finite number >= 0 (0 = greedy), got " + s.temperature);
        }
        if (s.topK < 0) throw new UserError("--top-k must be >= 0 (0 = off), got " + s.topK);
        if (!(s.topP > 0 && s.topP <= 1)) throw new UserError("--top-p must be in (0, 1] (1 = off), got " + s.topP);
        if (!(s.minP >= 0 && s.minP <= 1)) throw new UserError("--min-p must be in [0, 1] (0 = off), got " + s.minP);
        long total = (long) prompts.size() * numSamples;
        if (total > Generator.MAX_SAMPLES) {
            throw new UserError("--num-samples " + numSamples + " × " + prompts.size() + " prompts = " + total
                    + " responses, more than one run can hold (" + Generator.MAX_SAMPLES + ")");
        }
    }

    @Override
    public Integer call() {
        Sampling s = decoding.sampling == null ? new Sampling() : decoding.sampling;
        checkFlags(s);
        modelOptions.init();
        CausalLM lm = CausalLM.load(model, modelOptions.device(), modelOptions.dtype());
        if (adapter != null) lm.attach(PeftFiles.read(adapter, lm, null));
        if (maxNewTokens >= lm.config().maxPositions) {
            throw new UserError("--max-new-tokens " + maxNewTokens + " leaves no room for a prompt in the model's context of "
                    + lm.config().maxPositions + " tokens (" + lm.config().file + ")");
        }
        Tokenizer tokenizer = Tokenizer.load(model, lm.config().vocabSize, lm.config().file);
        List<int[]> encoded = new ArrayList<>();
        for (String p : prompts) encoded.add(tokenizer.encode(p));
        SamplingParams params = new SamplingParams(decoding.greedy ? 0 : s.temperature, s.topK, s.topP, s.minP,
                maxNewTokens, 0, numSamples, ignoreEos, seed);
        List<Sample> samples = new Generator(lm, batchSize).generate(encoded, params);
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper json = new ObjectMapper();
        for (Sample sample : samples) {
            String prompt = prompts.get(sample.prompt());
            String text = tokenizer.decode(sample.tokens());
            if (format == Format.json) {
                ObjectNode o = json.createObjectNode();
                o.put("prompt", prompt);
                o.put("text", text);
                var tokens = o.putArray("tokens");
                for (int t : sample.tokens()) tokens.add(t);
                var lps = o.putArray("logprobs");
                for (float lp : sample.logprobs()) lps.add(lp);
                out.println(o);
            } else {
                if (numSamples > 1) out.println("--- prompt " + (sample.prompt() + 1) + ", sample " + (sample.sample() + 1));
                out.println(prompt + text);
            }
        }
        out.flush();
        return 0;
    }
}
