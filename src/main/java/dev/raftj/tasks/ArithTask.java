package dev.raftj.tasks;

import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
import dev.raftj.model.Initializer;
import dev.raftj.reward.Reward;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code arith}: two-number addition, "12+35=" → "47". The base policy is a tiny GPT-2 (d=64, 2
 * layers, 4 heads, byte-level vocabulary of 258, context 32; 119k parameters) that writes a number
 * and stops but is deliberately unreliable; the reward is exact-answer correctness
 * ({@link ArithReward}). RAFT's job is to raise held-out accuracy.
 *
 * <p>Data: every pair a, b in [0, {@value #OPERAND_LIMIT}); {@value #EVAL_COUNT} of the 2500 prompts
 * are held out for evaluation, the rest (2300) are the training prompts. The split is by unordered
 * pair ({@link #pairs}): a held-out "a+b=" never has its commuted "b+a=" in training. Both files
 * are sorted by (a, b); {@link #dataFile} regenerates them.
 *
 * <p>Base policy ({@code raftj pretrain --task arith}): supervised training from a random init on
 * lines "a+b=c" over the training pairs only. The answers follow {@link #pretrainingAnswer}: mostly
 * right, but on the 72% of prompts where a carry decision is involved (units digits summing to 7
 * or more) the corpus more often shows a carry slip than the sum. A policy that has learned this
 * answers most of those prompts wrong when greedy, yet samples the right sum about a third of the
 * time: room and signal for reward-ranked fine-tuning.
 */
public final class ArithTask extends ShippedTask {
    public static final String NAME = "arith";
    /** Operands are 0 ≤ a, b &lt; OPERAND_LIMIT. */
    public static final int OPERAND_LIMIT = 50;
    public static final int EVAL_COUNT = 200;
    /** Seed of the fixed train/eval split (not the pretraining seed). */
    public static final long SPLIT_SEED = 20230406L;
    /** Pretraining: probability of the correct sum on a prompt without a slip. */
    public static final double P_CORRECT = 0.5;
    /** Pretraining: on a slip prompt, probability of the correct sum and of the slip answer. */
    public static final double P_CORRECT_ON_SLIP = 0.3, P_SLIP = 0.6;
    /** Pretraining: other wrong answers are sum ± 1..MAX_ERROR (never negative). */
    public static final int MAX_ERROR = 10;

    static final List<String> DATA_FILES = List.of("train.jsonl", "eval.jsonl");

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

    @Override
    public Optional<PretrainRecipe> pretraining() {
        List<Prompt> train = trainPrompts();
        List<int[]> pairs = new ArrayList<>(train.size());
        for (Prompt p : train) pairs.add(operands(p.text()));
        return Optional.of(new PretrainRecipe(
                // vocabulary 258 (2 special tokens + 256 bytes), d=64, 2 layers, 4 heads, context 32;
                // <|endoftext|>=0 is BOS and EOS, <|pad|>=1
                new Initializer.Gpt2Spec(258, 64, 2, 4, 32, 0, 0, 1),
                List.of("<|endoftext|>", "<|pad|>"),
                /* seed */ 0, /* steps */ 3000, /* batch */ 64, /* lr */ 3e-3, /* warmup */ 100,
                /* min lr fraction */ 0.1, /* weight decay */ 0.01, /* clip */ 1.0, /* eval every */ 500,
                random -> example(pairs.get(random.nextInt(pairs.size())), random)));
    }

    /** One pretraining line for (a, b), its answer drawn by {@link #pretrainingAnswer}. */
    public static PretrainRecipe.Example example(int[] ab, Shuffle.SplitMix64 random) {
        return new PretrainRecipe.Example(prompt(ab[0], ab[1]), Integer.toString(pretrainingAnswer(ab[0], ab[1], random)));
    }

    /**
     * The slip answer of a+b, or −1 when it has none. Two carry misconceptions: when the units
     * digits sum to 10 or more the carry is forgotten (sum − 10); when they sum to 7, 8 or 9 a carry
     * is added that is not there (sum + 10). With uniform units digits that is 72% of all prompts.
     */
    public static int slipAnswer(int a, int b) {
        int units = a % 10 + b % 10;
        if (units >= 10) return a + b - 10;
        if (units >= 7) return a + b + 10;
        return -1;
    }

    /**
     * A pretraining answer: on a prompt with a slip, the correct sum with probability
     * {@value #P_CORRECT_ON_SLIP}, the slip with probability {@value #P_SLIP}, else a near miss; on
     * other prompts the correct sum with probability {@value #P_CORRECT}, else a near miss (sum ± 1..10).
     * A model that learns this distribution answers slip prompts wrong when greedy (the slip is the
     * most likely answer) but samples the correct sum often: room and signal for RAFT.
     */
    public static int pretrainingAnswer(int a, int b, Shuffle.SplitMix64 random) {
        int sum = a + b;
        int slip = slipAnswer(a, b);
        double u = uniform(random);
        if (slip >= 0) {
            if (u < P_CORRECT_ON_SLIP) return sum;
            if (u < P_CORRECT_ON_SLIP + P_SLIP) return slip;
        } else if (u < P_CORRECT) {
            return sum;
        }
        int answer;
        do {
            int off = 1 + random.nextInt(MAX_ERROR);
            answer = sum + (random.nextInt(2) == 0 ? -off : off);
        } while (answer < 0 || answer == slip);
        return answer;
    }

    private static double uniform(Shuffle.SplitMix64 random) {
        return (random.nextLong() >>> 11) * 0x1.0p-53;
    }

    public static String prompt(int a, int b) {
        return a + "+" + b + "=";
    }

    public static int[] operands(String prompt) {
        String[] parts = prompt.substring(0, prompt.length() - 1).split("\\+");
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    }

    /**
     * The operand pairs of one split, sorted by (a, b). The split is by unordered pair {a, b}, so
     * that no held-out prompt is answered by its commuted twin in training: the unordered pairs
     * (a ≤ b) are shuffled by {@link #SPLIT_SEED} and taken in that order, each with both of its
     * prompts (a+b and b+a; one prompt when a = b), skipping any pair that would take the held-out
     * set past {@value #EVAL_COUNT} prompts, until it has exactly {@value #EVAL_COUNT}. All other
     * pairs are training pairs.
     */
    public static List<int[]> pairs(boolean eval) {
        List<int[]> unordered = new ArrayList<>();
        for (int a = 0; a < OPERAND_LIMIT; a++) {
            for (int b = a; b < OPERAND_LIMIT; b++) unordered.add(new int[] {a, b});
        }
        int[] order = Shuffle.permutation(unordered.size(), SPLIT_SEED);
        boolean[][] inEval = new boolean[OPERAND_LIMIT][OPERAND_LIMIT];
        int held = 0;
        for (int i = 0; i < order.length && held < EVAL_COUNT; i++) {
            int[] ab = unordered.get(order[i]);
            int prompts = ab[0] == ab[1] ? 1 : 2;
            if (held + prompts > EVAL_COUNT) continue;
            inEval[ab[0]][ab[1]] = inEval[ab[1]][ab[0]] = true;
            held += prompts;
        }
        List<int[]> out = new ArrayList<>();
        for (int a = 0; a < OPERAND_LIMIT; a++) {
            for (int b = 0; b < OPERAND_LIMIT; b++) {
                if (inEval[a][b] == eval) out.add(new int[] {a, b});
            }
        }
        return out;
    }

    /** The text of the shipped train.jsonl or eval.jsonl. */
    public static String dataFile(boolean eval) {
        StringBuilder sb = new StringBuilder();
        for (int[] ab : pairs(eval)) {
            sb.append("{\"prompt\": \"").append(prompt(ab[0], ab[1])).append("\", \"answer\": \"")
                    .append(ab[0] + ab[1]).append("\"}\n");
        }
        return sb.toString();
    }

    @Override
    List<String> shippedFiles() {
        List<String> files = new ArrayList<>(DATA_FILES);
        files.addAll(under("policy", POLICY_FILES));
        return files;
    }
}
