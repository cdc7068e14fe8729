package dev.raftj.align;

import dev.raftj.config.RunConfig;
import dev.raftj.config.SamplingConfig;
import dev.raftj.core.UserError;
import dev.raftj.data.Prompt;
import dev.raftj.data.PromptDataset;
import dev.raftj.data.Tokenizer;
import dev.raftj.generate.SamplingParams;
import dev.raftj.lora.LoraAdapter;
import dev.raftj.lora.LoraConfig;
import dev.raftj.lora.LoraRun;
import dev.raftj.model.CausalLM;
import dev.raftj.model.ModelConfig;
import dev.raftj.reward.FiniteReward;
import dev.raftj.reward.OnError;
import dev.raftj.reward.Reward;
import dev.raftj.reward.RewardSpec;
import dev.raftj.tasks.Tasks;
import dev.raftj.torch.Torch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * What an alignment loop works with, built from a configuration before any output is written:
 * the policy, the frozen initial policy π0, tokenizer, reward, and the train and held-out prompts,
 * every one of them tokenized and checked against the model's context up front.
 */
public final class AlignmentSetup {
    private final RunConfig config;
    private final CausalLM policy;
    private CausalLM reference; // null until first read when it is loaded lazily (see referenceDir)
    private final Path referenceDir;
    private final Device device;
    private final Tokenizer tokenizer;
    private final Reward reward;
    private final List<Prompt> train, eval;
    private final Map<Prompt, int[]> ids = new IdentityHashMap<>();
    private final Adversarial adversarial;
    private final LoraConfig lora; // sft.lora with its adapter path resolved, or null

    /**
     * @param policyDir where the policy continues from (a resumed run's checkpoint), or null for
     *                  the configured model
     * @param configDir the folder relative paths in the configuration resolve against, or null
     */
    public AlignmentSetup(RunConfig config, Path policyDir, Path configDir) {
        this.config = config;
        Path modelDir = resolve(configDir, config.model());
        Device device = Torch.device(config.device());
        LoraConfig lora = config.sft().lora();
        if (lora != null && lora.adapter() != null) lora = lora.withAdapter(resolve(configDir, lora.adapter()).toString());
        this.lora = lora;
        if (lora != null) {
            // LoRA: one copy of the weights; π0 is the same base with the adapter switched off.
            this.policy = CausalLM.load(modelDir, device, ScalarType.Float);
            policy.attach(LoraRun.adapter(policy, lora, policyDir, Seeds.LORA_INIT.of(config.seed(), 0)));
            this.reference = policy.withoutAdapter();
        } else if (policyDir != null) {
            // resumed: π0 is another folder than the policy's, so it is loaded (and checked) up front
            this.reference = CausalLM.load(modelDir, device, ScalarType.Float);
            this.policy = CausalLM.load(policyDir, device, ScalarType.Float);
        } else {
            // π0 is the policy's own folder, already checked by the policy's load: it is loaded when a
            // run first reads it (KL ranking, held-out KL, ReST-EM's reset, PPO, GRPO with β > 0), so
            // a run that never does holds one model (a 124M RAFT stage: 475 MB less)
            this.policy = CausalLM.load(modelDir, device, ScalarType.Float);
        }
        this.referenceDir = modelDir;
        this.device = device;
        if (config.sft().dropout() != null) policy.overrideDropout(config.sft().dropout());
        ModelConfig base = reference != null ? reference.config() : policy.config();
        this.tokenizer = Tokenizer.load(modelDir, base.vocabSize, base.file);
        Path promptFile = resolve(configDir, config.prompts());
        PromptDataset data = PromptDataset.read(promptFile);
        Path evalFile = config.evalPrompts() != null ? resolve(configDir, config.evalPrompts()) : promptFile;
        if (config.evalPrompts() != null) {
            this.train = data.prompts();
            this.eval = PromptDataset.read(evalFile).prompts();
        } else {
            PromptDataset.Split split = data.split(config.seed(), config.evalFraction());
            this.train = split.train();
            this.eval = split.eval();
        }
        if (train.isEmpty()) throw new UserError(promptFile + ": no training prompts");
        tokenizeAndCheck(train, promptFile);
        tokenizeAndCheck(eval, evalFile);
        this.adversarial = config.reward().usesAdversarial() ? adversarial(modelDir, policyDir, configDir) : null;
        Reward built = rewardFor(config.reward(), configDir);
        // on_reward_error: fail holds for every score, held-out evaluation's included (a NaN from a reward
        // model stops the run naming its folder); drop stays the opt-in that skips such samples.
        this.reward = config.onRewardError() == OnError.FAIL ? new FiniteReward(built) : built;
    }

    /** Every prompt fits the context with max_new_tokens to spare and is not empty: checked before any work. */
    private void tokenizeAndCheck(List<Prompt> prompts, Path file) {
        long context = policy.config().maxPositions, maxNew = config.sampling().maxNewTokens();
        for (Prompt p : prompts) {
            int[] enc = tokenizer.encode(p.text());
            if (enc.length == 0) throw UserError.line(file, p.line(), "the prompt is empty (no tokens)");
            if (enc.length + maxNew > context) {
                throw UserError.line(file, p.line(), "the prompt has " + enc.length + " tokens; with sampling.max_new_tokens "
                        + maxNew + " that exceeds the model's context of " + context + " tokens");
            }
            ids.put(p, enc);
        }
    }

    private Reward rewardFor(RewardSpec spec, Path configDir) {
        return spec.build(RewardSpec.Context.of(configDir != null ? configDir : Path.of("").toAbsolutePath())
                .withDevice(policy.device())
                .withAnswers(this::answers)
                .withTasks(name -> Tasks.get(name).newReward(policy.device()))
                .withTokens(text -> tokenizer.encode(text).length)
                .withAdversarial(() -> adversarial == null ? null : adversarial.discriminator()));
    }

    /**
     * RLGAF's discriminator: continued from a resumed run's checkpoint (weights and optimizer), else
     * from discriminator.init (the base policy's body with a fresh seeded head, or a given
     * sequence-classification folder); with its references and optional independent measure.
     */
    private Adversarial adversarial(Path modelDir, Path policyDir, Path configDir) {
        var d = config.discriminator();
        Discriminator disc;
        if (policyDir != null) {
            Path saved = policyDir.resolve(Discriminator.DIR);
            if (!java.nio.file.Files.isDirectory(saved)) {
                throw new UserError(saved + ": missing: the checkpoint of a run with reward 'adversarial' holds its discriminator there");
            }
            disc = Discriminator.load(saved, policy.device(), 0, d);
        } else {
            Path init = d.init().equals("policy") ? modelDir : resolve(configDir, d.init());
            disc = Discriminator.load(init, policy.device(), Seeds.DISCRIMINATOR.of(config.seed(), 0), d);
        }
        Path refFile = d.references() == null ? null : resolve(configDir, d.references());
        var refs = Adversarial.references(d, refFile, train, eval, config.seed());
        Reward measure = d.measure() == null ? null : rewardFor(d.measure(), configDir);
        Adversarial a = new Adversarial(d, disc, refs.get(0), refs.get(1), measure);
        if (policyDir != null) a.restore(policyDir);
        return a;
    }

    /** The RLGAF side of the run, or null when the reward does not use 'adversarial'. */
    Adversarial adversarial() {
        return adversarial;
    }

    /** Prompt → "answer" field, for the exact-answer reward; every prompt must have one. */
    private Map<String, String> answers() {
        Map<String, String> answers = new HashMap<>();
        for (List<Prompt> set : List.of(train, eval)) {
            for (Prompt p : set) {
                String a = p.field("answer");
                if (a == null) throw new UserError("reward 'exact' needs an \"answer\" field on every prompt; prompt at "
                        + config.prompts() + ":" + p.line() + " has none");
                answers.put(p.text(), a);
            }
        }
        return answers;
    }

    static Path resolve(Path configDir, String path) {
        Path p = Path.of(path);
        return p.isAbsolute() || configDir == null ? p : configDir.resolve(p);
    }

    public RunConfig config() { return config; }
    public CausalLM policy() { return policy; }
    /** The frozen initial policy π0 (with LoRA: the policy's own weights, adapter off). */
    public synchronized CausalLM reference() {
        if (reference == null) reference = loadOutsideScopes(referenceDir, device);
        return reference;
    }

    /**
     * Loads a model on a thread of its own: the caller may be inside a PointerScope (a stage's),
     * which would free the weights when it closes; scopes are per thread, so these stay the model's.
     */
    private static CausalLM loadOutsideScopes(Path dir, Device device) {
        CausalLM[] out = new CausalLM[1];
        RuntimeException[] error = new RuntimeException[1];
        Thread t = new Thread(() -> {
            try {
                out[0] = CausalLM.load(dir, device, ScalarType.Float);
            } catch (RuntimeException e) {
                error[0] = e;
            }
        }, "raftj-load-reference");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading " + dir, e);
        }
        if (error[0] != null) throw error[0];
        return out[0];
    }
    /** The folder π0 is (or will be) loaded from, without loading it. */
    public Path referenceDir() { return referenceDir; }
    /** Whether π0 has been loaded (a run that never reads it never loads it). */
    public synchronized boolean referenceLoaded() { return reference != null; }
    public Tokenizer tokenizer() { return tokenizer; }
    public Reward reward() { return reward; }
    public List<Prompt> train() { return train; }
    public List<Prompt> eval() { return eval; }

    public int padId() {
        return Math.max(policy.config().padTokenId, 0);
    }

    public int eosId() {
        int[] e = policy.config().eosTokenIds;
        return e.length == 0 ? -1 : e[0];
    }

    /** The prompts' token ids (tokenized once, at setup). */
    public List<int[]> encode(List<Prompt> prompts) {
        List<int[]> out = new ArrayList<>(prompts.size());
        for (Prompt p : prompts) out.add(ids.computeIfAbsent(p, q -> tokenizer.encode(q.text())));
        return out;
    }

    /** Copies the initial policy's weights back into the policy (ReST-EM starts each iteration there). */
    public void resetPolicyToBase() {
        if (policy.adapter() instanceof LoraAdapter a) { // the adapter the run started from (fresh: B = 0, the base)
            a.copyFrom(LoraRun.initial(policy, lora, Seeds.LORA_INIT.of(config.seed(), 0)));
            return;
        }
        try (NoGradGuard guard = new NoGradGuard()) {
            Map<String, org.bytedeco.pytorch.Tensor> base = reference().weights();
            policy.weights().forEach((name, w) -> w.copy_(base.get(name)));
        }
    }

    /** The run's sampling settings with this seed. */
    public SamplingParams samplingParams(long seed) {
        SamplingConfig s = config.sampling();
        return new SamplingParams(s.temperature(), s.topK(), s.topP(), s.minP(), s.maxNewTokens(), s.minNewTokens(),
                s.k(), false, seed);
    }
}
