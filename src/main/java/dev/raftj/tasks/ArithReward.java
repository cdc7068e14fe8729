package dev.raftj.tasks;

import dev.raftj.reward.ExactAnswerReward;
import dev.raftj.reward.Reward;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The arith task's reward: 1.0 when the response's answer equals a+b for a prompt "a+b=", else 0.0.
 *
 * <p>The response is cut at its first newline or end-of-sequence marker ({@code <|endoftext|>},
 * for text decoded with special tokens) and the rest is judged by {@link ExactAnswerReward}: its
 * first whitespace-delimited token, trailing sentence punctuation removed, must equal the sum as
 * a number. So "47", " 47", "47\n..." and "47<|endoftext|>" answer 47 while "4", "470", "47abc"
 * and "abc" do not. A prompt that is not "a+b=" is an {@link IllegalArgumentException}.
 */
public final class ArithReward implements Reward {
    private static final Pattern PROMPT = Pattern.compile("\\s*(\\d{1,9})\\s*\\+\\s*(\\d{1,9})\\s*=\\s*");
    private static final String EOS = "<|endoftext|>";

    private final ExactAnswerReward exact = new ExactAnswerReward(ArithReward::expectedAnswer);

    /** The sum for a prompt "a+b=" as text, or null when the prompt has another form. */
    public static String expectedAnswer(String prompt) {
        Matcher m = PROMPT.matcher(prompt);
        if (!m.matches()) return null;
        return Long.toString(Long.parseLong(m.group(1)) + Long.parseLong(m.group(2)));
    }

    /** The part of a response the answer is read from: up to the first newline or EOS marker. */
    public static String answerPart(String response) {
        int end = response.length();
        int nl = response.indexOf('\n');
        if (nl >= 0) end = nl;
        int eos = response.indexOf(EOS);
        if (eos >= 0) end = Math.min(end, eos);
        return response.substring(0, end);
    }

    @Override
    public double[] score(List<String> prompts, List<String> responses) {
        Reward.checkSameLength(prompts, responses);
        List<String> cut = new ArrayList<>(responses.size());
        for (String r : responses) cut.add(answerPart(r));
        return exact.score(prompts, cut);
    }

    @Override
    public String name() {
        return "arith";
    }
}
