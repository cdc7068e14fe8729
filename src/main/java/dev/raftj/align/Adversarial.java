package dev.raftj.align;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.raftj.config.DiscriminatorConfig;
import dev.raftj.core.UserError;
import dev.raftj.data.Prompt;
import dev.raftj.data.Shuffle;
import dev.raftj.reward.Reward;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The RLGAF side of a run whose reward uses {@code adversarial}: the discriminator, the reference
 * responses it trains on and the held-out ones it never trains on, and what each stage does after
 * the policy's update: measure the discriminator on held-out references vs the stage's samples
 * (before it sees them), then train it on training references vs those samples.
 */
final class Adversarial {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DiscriminatorConfig config;
    private final Discriminator discriminator;
    private final List<Discriminator.Pair> train, heldOut;
    private final Reward measure;

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

    /**
     * After the policy's update: the discriminator's accuracy and loss on held-out references vs
     * the stage's samples, then steps_per_stage steps on training references vs those samples.
     */
    StageMetrics.Adversarial afterStage(SampleBatch samples, long runSeed, int stage) {
        List<Discriminator.Pair> fake = new ArrayList<>();
        List<String> responses = samples.responses().texts();
        for (int i = 0; i < responses.size(); i++) fake.add(new Discriminator.Pair(samples.promptTexts().get(i), responses.get(i)));
        double[] zf = discriminator.logitValues(fake.stream().map(Discriminator.Pair::text).toList());
        double[] zr = discriminator.logitValues(heldOut.stream().map(Discriminator.Pair::text).toList());
        Discriminator.Eval e = Discriminator.evaluate(zr, zf);
        double[] paid = new double[zf.length];
        for (int i = 0; i < zf.length; i++) paid[i] = Discriminator.reward(zf[i], config.reward());
        double trainLoss = discriminator.train(train, fake, Seeds.DISCRIMINATOR.of(runSeed, stage));
        double overlap = ngramOverlap(responses, heldOut.stream().map(Discriminator.Pair::response).toList());
        Double m = measure == null ? null : StageMetrics.finite(Stats.mean(measure.score(samples.promptTexts(), responses)));
        return new StageMetrics.Adversarial(StageMetrics.finite(e.accuracy()), StageMetrics.finite(e.loss()),
                StageMetrics.finite(trainLoss), StageMetrics.finite(Stats.mean(paid)), StageMetrics.finite(overlap), m);
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
