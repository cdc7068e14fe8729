package dev.raftj.align;

import dev.raftj.data.Prompt;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.reward.RewardGuard;
import dev.raftj.reward.Scored;
import java.util.ArrayList;
import java.util.List;

/**
 * K scored responses for each prompt of a batch (prompt-major): what RAFT ranks each stage and
 * what a ReST Grow step stores. Includes each response's log-probability under the sampling
 * policy and under the frozen initial policy (for KL and KL-adjusted ranking).
 */
record SampleBatch(List<String> promptTexts, List<int[]> promptIds, Responses responses, Scored scored,
                   double[] logpRef, int promptCount) {

    static SampleBatch draw(AlignmentSetup setup, Generator generator, RewardGuard guard, List<Prompt> batch,
                            long seed, Timer timer) {
        List<int[]> ids = setup.encode(batch);
        List<Sample> samples = timer.time("generate", () -> generator.generate(ids, setup.samplingParams(seed)));
        Responses responses = Responses.of(samples, setup.tokenizer(), setup.stops(), setup.eosId());
        List<String> texts = new ArrayList<>(samples.size());
        List<int[]> sampleIds = new ArrayList<>(samples.size());
        for (Sample s : samples) {
            texts.add(batch.get(s.prompt()).text());
            sampleIds.add(ids.get(s.prompt()));
        }
        Scored scored = timer.time("reward", () -> guard.score(texts, responses.texts()));
        double[] ref = setup.referenceLogprobs(sampleIds, responses.tokens(), timer);
        return new SampleBatch(texts, sampleIds, responses, scored, ref, batch.size());
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

    Raft.StageSamples stageSamples(int[] kept, double[] losses) {
        return new Raft.StageSamples(scored, kept, responses.logprobSums(), logpRef, responses.tokens(), losses);
    }
}
