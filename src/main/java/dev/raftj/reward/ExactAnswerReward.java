package dev.raftj.reward;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * 1.0 if the response's answer equals the expected answer, else 0.0 (a verifiable reward, as in
 * ReST-EM's correctness check).
 *
 * <p>The answer is the response's first token: leading whitespace is skipped and the answer runs
 * up to the next whitespace (space, tab, newline); trailing sentence punctuation {@code . , ; : ! ?}
 * is then removed, so "42.\nBecause..." answers "42". Two answers that both parse as decimal
 * numbers are compared numerically ("42", "+42", "42.0" are equal); otherwise they are compared as
 * exact strings. The expected answer comes from the prompt through a function (e.g. compute
 * "a+b") or a prompt→answer map; a prompt with no expected answer is an error
 * ({@link IllegalArgumentException}, which {@link RewardGuard} reports or drops).
 */
public final class ExactAnswerReward implements Reward {

    private final Function<String, String> expectedAnswer;

    public ExactAnswerReward(Function<String, String> expectedAnswer) {
        this.expectedAnswer = expectedAnswer;
    }

    /** Expected answers looked up by exact prompt text. */
    public static ExactAnswerReward fromMap(Map<String, String> answerByPrompt) {
        return new ExactAnswerReward(answerByPrompt::get);
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        Reward.checkSameLength(prompts, responses);
        double[] scores = new double[prompts.size()];
        for (int i = 0; i < scores.length; i++) {
            String expected = expectedAnswer.apply(prompts.get(i));
            if (expected == null) {
                throw new IllegalArgumentException("no expected answer for prompt "
                        + abbreviate(prompts.get(i)));
            }
            scores[i] = matches(extractAnswer(responses.get(i)), expected.strip()) ? 1.0 : 0.0;
        }
        return scores;
    }

    @Override
    public String name() {
        return "exact_answer";
    }

    /** The first whitespace-delimited token, without trailing . , ; : ! ? ("" if none). */
    public static String extractAnswer(String response) {
        int start = 0;
        while (start < response.length() && Character.isWhitespace(response.charAt(start))) {
            start++;
        }
        int end = start;
        while (end < response.length() && !Character.isWhitespace(response.charAt(end))) {
            end++;
        }
        while (end > start && ".,;:!?".indexOf(response.charAt(end - 1)) >= 0) {
            end--;
        }
        return response.substring(start, end);
    }

    /** Numeric equality when both parse as decimals, exact string equality otherwise. */
    public static boolean matches(String answer, String expected) {
        if (answer.isEmpty()) {
            return false;
        }
        BigDecimal a = parseDecimal(answer);
        BigDecimal e = parseDecimal(expected);
        if (a != null && e != null) {
            return a.compareTo(e) == 0;
        }
        return answer.equals(expected);
    }

    private static BigDecimal parseDecimal(String s) {
        // BigDecimal also accepts exponents ("1e3"); restrict to plain decimals so "1e3" stays text.
        if (!s.matches("[+-]?\\d+(\\.\\d+)?")) {
            return null;
        }
        return new BigDecimal(s);
    }

    private static String abbreviate(String s) {
        String oneLine = s.replace("\n", "\\n");
        return "\"" + (oneLine.length() <= 60 ? oneLine : oneLine.substring(0, 57) + "...") + "\"";
    }
}
