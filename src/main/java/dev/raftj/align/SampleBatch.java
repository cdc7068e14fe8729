package dev.raftj.align;

import dev.raftj.data.Prompt;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.reward.RewardGuard;
import dev.raftj.reward.Scored;
import java.util.ArrayList;
import java.util.List;

/**
 * K scored responses for each prompt of a batch (prompt-major: sample j of prompt i at i·K + j):
 * what RAFT ranks each stage and what a ReST Grow step stores. With {@code withLogprobs}, also
 * each response's log-probability under the sampling policy π and the initial policy π0, both on
 * exactly the response's training tokens (for KL-adjusted ranking); else those are null.
 */
record SampleBatch(List<String> promptTexts, List<int[]> promptIds, Responses responses, Scored scored,
                   double[] logp, double[] logpRef, int promptCount) {

    static SampleBatch draw(AlignmentSetup setup, Generator generator, RewardGuard guard, List<Prompt> batch,
                            long seed, boolean withLogprobs, Timer timer) {
        List<int[]> ids = setup.encode(batch);
        List<Sample> samples = timer.time("generate", () -> generator.generate(ids, setup.samplingParams(seed)));
        Responses responses = Responses.of(samples, setup.tokenizer(), setup.config().sampling().stop(), setup.eosId());
        List<String> texts = new ArrayList<>(samples.size());
        List<int[]> sampleIds = new ArrayList<>(samples.size());
        for (Sample s : samples) {
            texts.add(batch.get(s.prompt()).text());
            sampleIds.add(ids.get(s.prompt()));
        }
        Scored scored = timer.time("reward", () -> guard.score(texts, responses.texts()));
        double[] logp = null, logpRef = null;
        if (withLogprobs) {
            logp = timer.time("reference", () -> policyLogprobs(setup, sampleIds, responses));
            logpRef = timer.time("reference", () -> SequenceLogprobs.of(setup.reference(), sampleIds, responses.tokens(), 64));
        }
        return new SampleBatch(texts, sampleIds, responses, scored, logp, logpRef, batch.size());
    }

    /** Generation's log π where the tokens are as generated; teacher-forced for responses cut at a stop. */
    private static double[] policyLogprobs(AlignmentSetup setup, List<int[]> prompts, Responses r) {
        double[] logp = r.logprobSums().clone();
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < logp.length; i++) if (r.cut()[i]) rows.add(i);
        if (rows.isEmpty()) return logp;
        List<int[]> p = new ArrayList<>(), t = new ArrayList<>();
        for (int i : rows) {
            p.add(prompts.get(i));
            t.add(r.tokens().get(i));
        }
        double[] forced = SequenceLogprobs.of(setup.policy(), p, t, 64);
        for (int j = 0; j < rows.size(); j++) logp[rows.get(j)] = forced[j];
        return logp;
    }

    /** This batch followed by more (prompt, response) rows, e.g. reference responses; no log-probabilities. */
    SampleBatch append(List<String> texts, List<int[]> ids, Responses more, Scored moreScores) {
        List<String> p = new ArrayList<>(promptTexts), rt = new ArrayList<>(responses.texts());
        List<int[]> pi = new ArrayList<>(promptIds), tok = new ArrayList<>(responses.tokens());
        p.addAll(texts);
        pi.addAll(ids);
        rt.addAll(more.texts());
        tok.addAll(more.tokens());
        int n = promptTexts.size(), m = texts.size();
        double[] r = java.util.Arrays.copyOf(scored.rewards(), n + m);
        boolean[] v = java.util.Arrays.copyOf(scored.valid(), n + m);
        System.arraycopy(moreScores.rewards(), 0, r, n, m);
        System.arraycopy(moreScores.valid(), 0, v, n, m);
        Responses all = new Responses(rt, tok, new double[n + m], new boolean[n + m]);
        return new SampleBatch(p, pi, all, new Scored(r, v, scored.dropped() + moreScores.dropped(),
                scored.filtered() + moreScores.filtered()), null, null, promptCount);
    }

    List<int[]> keptPrompts(int[] kept) {
        List<int[]> out = new ArrayList<>(kept.length);
        for (int i : kept) out.add(promptIds.get(i));
        return out;
    }

    List<int[]> keptResponses(int[] kept) {
        List<int[]> out = new ArrayList<>(kept.length);
        for (int i : kept) out.add(responses.tokens().get(i));
        return out;
    }

    /** The stage's sample figures once {@code kept} were fine-tuned on with these step losses. */
    StageMetrics.Samples stats(int[] kept, double[] losses) {
        double[] r = scored.rewards();
        double[] valid = java.util.stream.IntStream.range(0, r.length).filter(i -> scored.valid()[i])
                .mapToDouble(i -> r[i]).toArray();
        return new StageMetrics.Samples(Stats.mean(valid), Stats.max(valid), Stats.mean(Stats.pick(r, kept)),
                kept.length, scored.dropped(), scored.filtered(), Stats.mean(losses),
                Stats.distinct(responses.tokens(), 1), Stats.distinct(responses.tokens(), 2),
                Stats.meanLength(responses.tokens()), r.length);
    }
}
