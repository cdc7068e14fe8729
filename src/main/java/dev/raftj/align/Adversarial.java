package dev.raftj.align;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.config.DiscriminatorConfig;
import dev.raftj.core.UserError;
import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
import dev.raftj.dist.World;
import dev.raftj.generate.Generator;
import dev.raftj.generate.Sample;
import dev.raftj.reward.Reward;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The RLGAF side of a run whose reward uses {@code adversarial}: the discriminator, the reference
 * responses it trains on and the held-out ones it never trains on, the samples of older stages it
 * replays, and what each stage does after the policy's update: measure the discriminator on
 * held-out references vs the stage's samples (before it sees them), then train it on training
 * references vs those samples (and the replayed ones). Optionally it is warmed up on the base
 * policy's samples before the first stage.
 *
 * <p>Data-parallel ({@link #joinWorld}): rank 0's discriminator weights are broadcast, every rank
 * is given the whole stage's samples (gathered), so the fakes it trains on and replays are the same
 * everywhere, and each training step splits its balanced batch over the ranks and all-reduces the
 * gradients: the discriminator and its AdamW state stay identical on every rank (checked with the
 * policy's weights after each stage). Its measurements are sharded and gathered.
 */
final class Adversarial {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The replayed samples inside a checkpoint: {"age", "prompt", "response"} per line, age 0 the newest stage. */
    static final String REPLAY = "discriminator_replay.jsonl";

    private final DiscriminatorConfig config;
    private final Discriminator discriminator;
    private final List<Discriminator.Pair> train, heldOut;
    private final Reward measure;
    /** The fake samples of up to discriminator.replay earlier stages, newest first. */
    private final List<List<Discriminator.Pair>> history = new ArrayList<>();
    private World world = World.single();

    Adversarial(DiscriminatorConfig config, Discriminator discriminator, List<Discriminator.Pair> train,
                List<Discriminator.Pair> heldOut, Reward measure) {
        this.config = config;
        this.discriminator = discriminator;
        this.train = train;
        this.heldOut = heldOut;
        this.measure = measure;
    }

    Discriminator discriminator() {
        return discriminator;
    }

    List<Discriminator.Pair> train() {
        return train;
    }

    List<Discriminator.Pair> heldOut() {
        return heldOut;
    }

    /** discriminator.measure, the independent reward it never sees, or null. */
    Reward measure() {
        return measure;
    }

    /**
     * The references: discriminator.references (split by seed into training and held-out parts),
     * else the prompts' "reference" fields (training prompts' for training, held-out prompts' held out).
     */
    static List<List<Discriminator.Pair>> references(DiscriminatorConfig c, Path file, List<Prompt> trainPrompts,
                                                     List<Prompt> evalPrompts, long seed) {
        if (file == null) {
            List<Discriminator.Pair> t = fromField(trainPrompts), h = fromField(evalPrompts);
            if (t.isEmpty() || h.isEmpty()) {
                throw new UserError("reward 'adversarial' needs reference responses: set discriminator.references (a JSONL"
                        + " file of {\"prompt\", \"response\"}) or give training and held-out prompts a \"reference\""
                        + " field (found " + t.size() + " training and " + h.size() + " held-out)");
            }
            return List.of(t, h);
        }
        List<Discriminator.Pair> all = read(file);
        int[] perm = Shuffle.permutation(all.size(), Shuffle.deriveSeed(seed, 0x7e4));
        int held = (int) Math.round(all.size() * c.heldOut());
        if (held < 1 || held >= all.size()) {
            throw new UserError(file + ": " + all.size() + " references cannot be split into training and held-out parts"
                    + " with discriminator.held_out " + c.heldOut());
        }
        List<Discriminator.Pair> t = new ArrayList<>(), h = new ArrayList<>();
        for (int i = 0; i < perm.length; i++) (i < held ? h : t).add(all.get(perm[i]));
        return List.of(t, h);
    }

    private static List<Discriminator.Pair> fromField(List<Prompt> prompts) {
        List<Discriminator.Pair> out = new ArrayList<>();
        for (Prompt p : prompts) {
            String r = p.field("reference");
            if (r != null) out.add(new Discriminator.Pair(p.text(), r));
        }
        return out;
    }

    /** A JSONL file of {"prompt": ..., "response": ...}, blank lines skipped; errors name the line. */
    static List<Discriminator.Pair> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the references: " + e.getMessage(), e);
        }
        List<Discriminator.Pair> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            JsonNode n;
            try {
                n = JSON.readTree(lines.get(i));
            } catch (IOException e) {
                throw UserError.line(file, i + 1, "not a JSON object: " + e.getMessage());
            }
            if (n == null || !n.path("prompt").isTextual() || !n.path("response").isTextual()) {
                throw UserError.line(file, i + 1, "a reference needs string fields \"prompt\" and \"response\"");
            }
            out.add(new Discriminator.Pair(n.get("prompt").asText(), n.get("response").asText()));
        }
        if (out.isEmpty()) throw new UserError(file + ": no references");
        return out;
    }

    /** Data parallelism: the run's discriminator takes rank 0's weights and trains with the ranks' gradients all-reduced. */
    static void joinWorld(AlignmentSetup setup, World world) {
        Adversarial a = setup.adversarial();
        if (a == null || !world.distributed()) return;
        a.world = world;
        world.broadcast(a.discriminator.model().parameters());
        a.discriminator.setWorld(world);
    }

    /**
     * After the policy's update: the discriminator's accuracy and loss on held-out references vs
     * the stage's samples, then steps_per_stage steps on training references vs those samples.
     * Data-parallel, {@code samples} is the whole stage's batch (gathered), the same on every rank.
     */
    StageMetrics.Adversarial afterStage(SampleBatch samples, long runSeed, int stage) {
        List<String> responses = samples.responses().texts();
        List<Discriminator.Pair> fake = pairs(samples.promptTexts(), responses);
        double[] zf = world.allGather(discriminator.logitValues(world.shard(fake.stream().map(Discriminator.Pair::text).toList())));
        double[] zr = world.allGather(discriminator.logitValues(world.shard(heldOut.stream().map(Discriminator.Pair::text).toList())));
        Discriminator.Eval e = Discriminator.evaluate(zr, zf);
        double[] paid = new double[zf.length];
        for (int i = 0; i < zf.length; i++) paid[i] = Discriminator.reward(zf[i], config.reward());
        double trainLoss = discriminator.train(train, fakePool(fake, history), Seeds.DISCRIMINATOR.of(runSeed, stage),
                config.stepsPerStage());
        remember(history, fake, config.replay());
        double overlap = ngramOverlap(responses, heldOut.stream().map(Discriminator.Pair::response).toList());
        Double m = measure == null ? null : StageMetrics.finite(Stats.mean(world.allGather(
                measure.score(world.shard(samples.promptTexts()), world.shard(responses)))));
        return new StageMetrics.Adversarial(StageMetrics.finite(e.accuracy()), StageMetrics.finite(e.loss()),
                StageMetrics.finite(trainLoss), StageMetrics.finite(Stats.mean(paid)), StageMetrics.finite(overlap), m);
    }

    /**
     * Before the first stage of a run (once: a resumed run is past it): warmup_steps balanced steps
     * on the references vs the base policy's samples, one per training prompt, so that stage 1's
     * samples are not ranked by an untrained head. Returns the mean loss, or null when skipped.
     */
    static Double warmUpOnce(AlignmentSetup setup, RunState state, Generator generator) {
        Adversarial a = setup.adversarial();
        return a == null ? null : a.warmUp(setup, state, generator);
    }

    private Double warmUp(AlignmentSetup setup, RunState state, Generator generator) {
        if (config.warmupSteps() == 0 || state.stage() != 0) return null;
        long seed = Seeds.DISCRIMINATOR_WARMUP.of(setup.config().seed(), 0);
        List<Prompt> prompts = world.shard(setup.train()); // data-parallel: each rank its shard, then gathered
        long mine = world.seed(seed);
        List<Sample> drawn = prompts.isEmpty() ? List.of()
                : generator.generate(setup.encode(prompts), setup.samplingParams(mine).withSamples(1, mine));
        Responses r = Responses.of(drawn, setup.tokenizer(), setup.config().sampling().stop(), setup.eosId());
        List<String> texts = new ArrayList<>();
        for (Sample x : drawn) texts.add(prompts.get(x.prompt()).text());
        return discriminator.train(train, pairs(GatheredSamples.texts(world, texts), GatheredSamples.texts(world, r.texts())),
                seed, config.warmupSteps());
    }

    private static List<Discriminator.Pair> pairs(List<String> prompts, List<String> responses) {
        List<Discriminator.Pair> out = new ArrayList<>(responses.size());
        for (int i = 0; i < responses.size(); i++) out.add(new Discriminator.Pair(prompts.get(i), responses.get(i)));
        return out;
    }

    /** The discriminator's fakes for a stage: the fresh samples, then the replayed ones (newest stage first). */
    static <T> List<T> fakePool(List<T> fresh, List<List<T>> history) {
        List<T> pool = new ArrayList<>(fresh);
        for (List<T> old : history) pool.addAll(old);
        return pool;
    }

    /** Puts {@code fresh} first in the history and keeps the newest {@code keep} stages. */
    static <T> void remember(List<List<T>> history, List<T> fresh, int keep) {
        if (keep == 0) return;
        history.add(0, List.copyOf(fresh));
        while (history.size() > keep) history.remove(history.size() - 1);
    }

    /** Writes the discriminator, its optimizer and the replayed samples into a checkpoint folder. */
    void save(Path checkpointDir) throws IOException {
        discriminator.save(checkpointDir);
        if (config.replay() == 0) return;
        StringBuilder sb = new StringBuilder();
        for (int age = 0; age < history.size(); age++) {
            for (Discriminator.Pair p : history.get(age)) {
                var n = JSON.createObjectNode().put("age", age).put("prompt", p.prompt()).put("response", p.response());
                sb.append(JSON.writeValueAsString(n)).append('\n');
            }
        }
        Path tmp = checkpointDir.resolve(REPLAY + ".tmp");
        Files.writeString(tmp, sb.toString());
        Files.move(tmp, checkpointDir.resolve(REPLAY), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Restores what {@link #save} wrote: the optimizer and, with replay, the replayed samples. */
    void restore(Path checkpointDir) {
        discriminator.loadOptimizer(checkpointDir);
        if (config.replay() == 0) return;
        Path file = checkpointDir.resolve(REPLAY);
        if (!Files.exists(file)) throw new UserError(file + ": missing: the checkpoint of a run with discriminator.replay holds it");
        history.clear();
        try {
            for (String line : Files.readAllLines(file)) {
                JsonNode n = JSON.readTree(line);
                int age = n.get("age").asInt();
                while (history.size() <= age) history.add(new ArrayList<>());
                history.get(age).add(new Discriminator.Pair(n.get("prompt").asText(), n.get("response").asText()));
            }
        } catch (IOException | RuntimeException e) {
            throw new UserError(file + ": cannot read the replayed samples: " + e.getMessage(), e);
        }
    }

    /**
     * Share of the samples' word unigrams and bigrams (lower case, split on white space, counted
     * together) that occur in the references: n-gram precision against them; NaN with no words.
     */
    static double ngramOverlap(List<String> samples, List<String> references) {
        Set<String> ref = new HashSet<>();
        for (String r : references) ref.addAll(ngrams(r));
        long hit = 0, all = 0;
        for (String s : samples) {
            for (String g : ngrams(s)) {
                all++;
                if (ref.contains(g)) hit++;
            }
        }
        return all == 0 ? Double.NaN : (double) hit / all;
    }

    private static List<String> ngrams(String text) {
        List<String> w = new ArrayList<>();
        for (String x : text.toLowerCase(Locale.ROOT).split("\\s+")) if (!x.isEmpty()) w.add(x);
        List<String> out = new ArrayList<>(w);
        for (int i = 0; i + 1 < w.size(); i++) out.add(w.get(i) + " " + w.get(i + 1));
        return out;
    }
}
