package dev.raftj.align;

import dev.raftj.config.SftConfig;
import dev.raftj.data.Shuffle;
import dev.raftj.dist.Shards;
import dev.raftj.dist.World;
import dev.raftj.train.SftStep;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;

/** E epochs of masked SFT over a kept set of (prompt, response) tokens, shuffled per epoch. */
final class FineTune {
    private FineTune() {}

    /**
     * Returns each optimizer step's loss. The shuffling and the dropout masks derive from
     * (runSeed, stage), so a stage replayed after a resume trains identically.
     */
    static double[] run(SftStep trainer, SftConfig sft, double baseLr, List<int[]> prompts, List<int[]> responses,
                        long runSeed, int stage, int padId) {
        return run(trainer, sft, baseLr, prompts, responses, runSeed, stage, padId, World.single());
    }

    /**
     * Data parallelism: every rank holds the whole kept set and walks the same minibatches; each
     * takes its contiguous share of a minibatch's rows ({@link Shards#range}) and the trainer's
     * gradient sync makes the step the whole minibatch's. A rank whose share is empty still joins.
     */
    static double[] run(SftStep trainer, SftConfig sft, double baseLr, List<int[]> prompts, List<int[]> responses,
                        long runSeed, int stage, int padId, World world) {
        int n = prompts.size();
        if (n == 0) return new double[0];
        int perEpoch = (n + sft.batchSize() - 1) / sft.batchSize();
        long steps = (long) perEpoch * sft.epochs();
        if (steps > Limits.MAX_COUNT) {
            throw new dev.raftj.core.UserError("sft.epochs " + sft.epochs() + " × " + perEpoch + " batches = " + steps
                    + " steps in one stage, more than a stage can count");
        }
        int total = (int) steps;
        // Generation and scoring have freed their tensors, but glibc keeps the pages; give them back
        // once (malloc_trim(0)) so that training's peak does not stack on them. A no-op off glibc.
        Pointer.trimMemory();
        double[] losses = new double[total];
        long shuffleSeed = Seeds.SHUFFLE.of(runSeed, stage), dropoutSeed = Seeds.DROPOUT.of(runSeed, stage);
        int step = 0;
        for (int epoch = 0; epoch < sft.epochs(); epoch++) {
            int[] order = Shuffle.permutation(n, Shuffle.deriveSeed(shuffleSeed, epoch));
            for (int start = 0; start < n; start += sft.batchSize()) {
                List<int[]> p = new ArrayList<>(), r = new ArrayList<>();
                int[] mine = Shards.range(Math.min(n, start + sft.batchSize()) - start, world.rank(), world.size());
                for (int j = start + mine[0]; j < start + mine[1]; j++) {
                    p.add(prompts.get(order[j]));
                    r.add(responses.get(order[j]));
                }
                trainer.setLearningRate(sft.lrSchedule().at(baseLr, step, total, sft.warmupSteps()));
                if (p.isEmpty()) {
                    losses[step++] = trainer.idleStep().loss();
                    continue;
                }
                try (PointerScope scope = new PointerScope()) {
                    TokenBatch b = TokenBatch.of(p, r, padId, trainer.model().device());
                    losses[step] = trainer.step(b.ids(), b.mask(), b.labels(), Shuffle.deriveSeed(dropoutSeed, step)).loss();
                    step++;
                }
            }
        }
        return losses;
    }
}
