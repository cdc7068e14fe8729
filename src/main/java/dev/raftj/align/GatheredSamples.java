package dev.raftj.align;

import dev.raftj.data.Prompt;
import dev.raftj.dist.Shards;
import dev.raftj.dist.World;
import dev.raftj.reward.Scored;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Data parallelism: the ranks' {@link SampleBatch}es of their prompt shards, all-gathered into the
 * stage's whole batch, identical on every rank and in the order one process would hold it
 * (shards are contiguous and gathered in rank order). Every rank can then rank globally, log the
 * same metrics and take its share of each fine-tuning minibatch; what travels is token ids, texts
 * and per-sample numbers, small next to a gradient all-reduce.
 */
final class GatheredSamples {
    private GatheredSamples() {}

    /** The whole stage's batch from this rank's {@code local} samples of its shard of {@code batch}. */
    static SampleBatch of(World world, AlignmentSetup setup, List<Prompt> batch, SampleBatch local) {
        if (!world.distributed()) return local;
        int offset = Shards.range(batch.size(), world.rank(), world.size())[0];
        List<int[]> localIds = setup.encode(world.shard(batch));
        long[] promptIndex = new long[local.promptIds().size()];
        for (int i = 0; i < promptIndex.length; i++) promptIndex[i] = offset + indexOf(localIds, local.promptIds().get(i));
        long[] prompts = world.allGather(promptIndex);
        List<int[]> batchIds = setup.encode(batch);
        List<String> texts = new ArrayList<>(prompts.length);
        List<int[]> ids = new ArrayList<>(prompts.length);
        for (long p : prompts) {
            texts.add(batch.get((int) p).text());
            ids.add(batchIds.get((int) p));
        }
        Responses r = local.responses();
        List<int[]> tokens = Shards.unpackAll(world.allGather(Shards.pack(r.tokens())));
        List<String> responseTexts = texts(world, r.texts());
        Responses all = new Responses(responseTexts, tokens, world.allGather(r.logprobSums()),
                bools(world.allGather(doubles(r.cut()))));
        Scored s = local.scored();
        double[] counts = world.allReduceSum(new double[] {s.dropped(), s.filtered()});
        Scored scored = new Scored(world.allGather(s.rewards()), bools(world.allGather(doubles(s.valid()))),
                (int) counts[0], (int) counts[1]);
        double[] logp = local.logp() == null ? null : world.allGather(local.logp());
        double[] logpRef = local.logpRef() == null ? null : world.allGather(local.logpRef());
        return new SampleBatch(texts, ids, all, scored, logp, logpRef, batch.size());
    }

    /** Every rank's texts, concatenated in rank order. */
    static List<String> texts(World world, List<String> local) {
        if (!world.distributed()) return local;
        List<String> out = new ArrayList<>();
        for (int[] utf8 : Shards.unpackAll(world.allGather(Shards.pack(utf8(local))))) out.add(text(utf8));
        return out;
    }

    /** The position of {@code ids} (one of setup.encode's arrays, so the same object) in the shard. */
    private static int indexOf(List<int[]> shard, int[] ids) {
        for (int i = 0; i < shard.size(); i++) if (shard.get(i) == ids) return i;
        throw new IllegalStateException("a sample's prompt is not in this rank's shard");
    }

    private static List<int[]> utf8(List<String> texts) {
        List<int[]> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            byte[] b = t.getBytes(StandardCharsets.UTF_8);
            int[] v = new int[b.length];
            for (int i = 0; i < b.length; i++) v[i] = b[i];
            out.add(v);
        }
        return out;
    }

    private static String text(int[] utf8) {
        byte[] b = new byte[utf8.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) utf8[i];
        return new String(b, StandardCharsets.UTF_8);
    }

    private static double[] doubles(boolean[] flags) {
        double[] out = new double[flags.length];
        for (int i = 0; i < flags.length; i++) out[i] = flags[i] ? 1 : 0;
        return out;
    }

    private static boolean[] bools(double[] values) {
        boolean[] out = new boolean[values.length];
        for (int i = 0; i < values.length; i++) out[i] = values[i] != 0;
        return out;
    }
}
