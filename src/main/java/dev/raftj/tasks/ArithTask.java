package dev.raftj.tasks;

import dev.raftj.reward.Reward;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code arith}: two-number addition, "12+35=" → "47". The base policy is a tiny GPT-2 (d=64, 2
 * layers, 4 heads, byte-level vocabulary of 258, context 32; 119k parameters) that writes a number
 * and stops but is deliberately unreliable; the reward is exact-answer correctness
 * ({@link ArithReward}). RAFT's job is to raise held-out accuracy.
 *
 * <p>Data: every pair a, b in [0, {@value #OPERAND_LIMIT}); 200 of the 2500 prompts are held out for
 * evaluation, the other 2300 are the training prompts. The split is by unordered pair {a, b}: a
 * held-out "a+b=" never has its commuted "b+a=" in training. Both files are sorted by (a, b).
 *
 * <p>Base policy: supervised training from a random init on lines "a+b=c" over the training pairs
 * only, with answers that make carry slips on purpose, so that the policy answers many prompts
 * wrong when greedy yet samples the right sum often: room and signal for reward-ranked
 * fine-tuning. The data files and the policy are built by {@code dev.raftj.tasks.build.ArithData}
 * and {@code raftj pretrain --task arith}.
 */
public final class ArithTask extends ShippedTask {
    public static final String NAME = "arith";
    /** Operands are 0 ≤ a, b &lt; OPERAND_LIMIT. */
    public static final int OPERAND_LIMIT = 50;

    public static final List<String> DATA_FILES = List.of("train.jsonl", "eval.jsonl");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "two-number addition \"a+b=\" (a, b < " + OPERAND_LIMIT + "), reward 1 for the exact sum; "
                + "tiny GPT-2 base policy";
    }

    @Override
    public Path policy() {
        return shipped("policy", "base policy");
    }

    @Override
    public Reward newReward() {
        return new ArithReward();
    }

    @Override
    public int maxNewTokens() {
        return 6; // up to three digits and EOS, with room for a wrong longer answer
    }

    /** The prompt "a+b=". */
    public static String prompt(int a, int b) {
        return a + "+" + b + "=";
    }

    /** The operands {a, b} of a prompt "a+b=". */
    public static int[] operands(String prompt) {
        String[] parts = prompt.substring(0, prompt.length() - 1).split("\\+");
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    }

    @Override
    List<String> shippedFiles() {
        List<String> files = new ArrayList<>(DATA_FILES);
        files.addAll(under("policy", POLICY_FILES));
        return files;
    }
}
