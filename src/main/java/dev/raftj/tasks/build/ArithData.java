package dev.raftj.tasks.build;

import static dev.raftj.tasks.ArithTask.OPERAND_LIMIT;

import dev.raftj.data.Shuffle;
import dev.raftj.tasks.ArithTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The arith task's data: the train/held-out split of the operand pairs (the shipped
 * {@code train.jsonl} and {@code eval.jsonl} are exactly {@link #dataFile}; {@code java -cp
 * target/classes dev.raftj.tasks.build.ArithData DIR} writes them) and the answers of the base
 * policy's pretraining corpus ({@link #pretrainingAnswer}).
 *
 * <p>Pretraining answers are mostly right, but on the 72% of prompts where a carry decision is
 * involved (units digits summing to 7 or more) the corpus more often shows a carry slip than the
 * sum. A policy that has learned this answers most of those prompts wrong when greedy, yet samples
 * the right sum about a third of the time: room and signal for reward-ranked fine-tuning.
 */
public final class ArithData {
    /** Held-out prompts. */
    public static final int EVAL_COUNT = 200;
    /** Seed of the fixed train/eval split (not the pretraining seed). */
    public static final long SPLIT_SEED = 20230406L;
    /** Pretraining: probability of the correct sum on a prompt without a slip. */
    public static final double P_CORRECT = 0.5;
    /** Pretraining: on a slip prompt, probability of the correct sum and of the slip answer. */
    public static final double P_CORRECT_ON_SLIP = 0.3, P_SLIP = 0.6;
    /** Pretraining: other wrong answers are sum ± 1..MAX_ERROR (never negative). */
    public static final int MAX_ERROR = 10;

    private ArithData() {}

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
            sb.append("{\"prompt\": \"").append(ArithTask.prompt(ab[0], ab[1])).append("\", \"answer\": \"")
                    .append(ab[0] + ab[1]).append("\"}\n");
        }
        return sb.toString();
    }

    /** The text of every data file, by name ({@link ArithTask#DATA_FILES}). */
    public static Map<String, String> files() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("train.jsonl", dataFile(false));
        files.put("eval.jsonl", dataFile(true));
        return files;
    }

    /** One pretraining line for (a, b), its answer drawn by {@link #pretrainingAnswer}. */
    public static PretrainRecipe.Example example(int[] ab, Shuffle.SplitMix64 random) {
        return new PretrainRecipe.Example(ArithTask.prompt(ab[0], ab[1]),
                Integer.toString(pretrainingAnswer(ab[0], ab[1], random)));
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

    /** Writes the data files into the folder given (the shipped ones: src/main/resources/raftj/tasks/arith). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ArithData DIR");
            System.exit(2);
        }
        DataFiles.write(Path.of(args[0]), files());
    }
}
