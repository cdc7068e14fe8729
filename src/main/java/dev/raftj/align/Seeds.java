package dev.raftj.align;

import dev.raftj.data.Shuffle;

/**
 * Every random stream of a run, derived from the run's seed by purpose and index, so that a stage
 * replayed after a resume draws the same numbers and no two purposes share a stream.
 */
public enum Seeds {
    /** RAFT stage s: the K responses per prompt. */
    SAMPLE(1),
    /** Fine-tuning of stage s: the shuffling of the kept set, per epoch. */
    SHUFFLE(2),
    /** Fine-tuning of stage s: dropout masks, per optimizer step. */
    DROPOUT(3),
    /** ReST Grow step g: the responses. */
    GROW(4),
    /** ReST Grow step g: which prompts are grown (with grow_prompts). */
    GROW_PROMPTS(5),
    /** Evaluation: the sampled held-out responses (the same at every stage). */
    EVAL_SAMPLE(6),
    /** Evaluation: the temperature-1 samples the KL estimate is taken on (the same at every stage). */
    KL_SAMPLE(7),
    /** PPO: the fresh value head of a critic that starts from the policy. */
    CRITIC_HEAD(8),
    /** RLGAF: the discriminator's balanced batches after stage s (and its fresh head, index 0). */
    DISCRIMINATOR(9),
    /** RLGAF: the base policy's samples and the batches of the discriminator's warm-up. */
    DISCRIMINATOR_WARMUP(10),
    /** LoRA: the fresh adapter's A matrices (index 0). */
    LORA_INIT(11);

    private final long purpose;

    Seeds(long purpose) {
        this.purpose = purpose;
    }

    /** The seed of this purpose for item {@code index} (a stage, a Grow step, 0 for one-off uses). */
    public long of(long runSeed, long index) {
        return Shuffle.deriveSeed(Shuffle.deriveSeed(runSeed, purpose), index);
    }
}
