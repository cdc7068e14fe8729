package dev.raftj.tasks.build;

import dev.raftj.data.Shuffle;
import dev.raftj.tasks.SentimentTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sentiment task's data, generated from {@link #SEED} by a small template grammar of short
 * English review sentences: an opening ("Honestly, ") and a subject with its verb ("the movie was")
 * make a prompt; a continuation says something positive (" really delicious."), negative
 * (" a waste of time."), or neutral (" okay, I guess."), drawing on general adjectives and on
 * adjectives of the subject's category (film, food, place, product, book, event), with intensifiers,
 * pairs, noun phrases, tails (", I loved it") and negations (" not bad at all." is positive,
 * " not very funny." negative).
 *
 * <p>Files ({@link #files}; the shipped ones under {@code raftj/tasks/sentiment/} are exactly
 * these, and {@code java -cp target/classes dev.raftj.tasks.build.SentimentData DIR} writes them):
 * <ul>
 *   <li>{@code train.jsonl}, {@code eval.jsonl}: RAFT prompts, {@code {"prompt": "The movie was",
 *       "reference": " great."}}; the {@value #EVAL_PROMPTS} held-out prompts are disjoint from the
 *       training ones; the reference is a continuation drawn from the base policy's corpus mix (it
 *       gives eval_perplexity);</li>
 *   <li>{@code reward_train.jsonl}, {@code reward_eval.jsonl}: labeled sentences for the reward
 *       model, {@code {"text": "...", "label": 1}} with 1 positive, 0 negative, 0.5 neutral, disjoint
 *       by text;</li>
 *   <li>{@code corpus.jsonl}: the base policy's pretraining lines {@code {"prompt", "completion"}}
 *       over training prompts only, about {@value #CORPUS_POSITIVE} positive, the same share
 *       negative and the rest neutral: mixed sentiment.</li>
 * </ul>
 */
public final class SentimentData {
    public static final long SEED = 20230407L;
    /** Streams of {@link #SEED} ({@link Shuffle#deriveSeed}): the prompt split, the reward sentences, the corpus, the references. */
    static final long SPLIT_STREAM = 1, REWARD_STREAM = 2, CORPUS_STREAM = 3, REFERENCE_STREAM = 4;
    public static final int EVAL_PROMPTS = 100;
    public static final int REWARD_TRAIN = 1600, REWARD_EVAL = 400, CORPUS = 1500;
    /** Longest continuation in characters (= byte-level tokens); EOS makes it one more. */
    public static final int MAX_CONTINUATION = SentimentTask.MAX_CONTINUATION;
    /** Share of positive (and of negative) lines in the reward data and the policy corpus; the rest is neutral. */
    public static final double REWARD_POSITIVE = 0.45, CORPUS_POSITIVE = 0.45;

    public static final List<String> FILES = SentimentTask.DATA_FILES;

    private SentimentData() {}

    public enum Sentiment {
        POSITIVE(1.0), NEGATIVE(0.0), NEUTRAL(0.5);

        public final double label;

        Sentiment(double label) {
            this.label = label;
        }
    }

    /** A category's own adjectives, added to the general ones. */
    public enum Category {
        FILM(List.of("moving", "gripping", "funny", "clever", "stunning"),
                List.of("predictable", "slow", "confusing", "silly", "forgettable")),
        FOOD(List.of("delicious", "tasty", "fresh", "rich", "flavorful"),
                List.of("cold", "greasy", "stale", "salty", "soggy")),
        PLACE(List.of("clean", "friendly", "cozy", "spotless", "relaxing"),
                List.of("dirty", "rude", "noisy", "cramped", "shabby")),
        PRODUCT(List.of("fast", "reliable", "sleek", "sturdy", "handy"),
                List.of("laggy", "flimsy", "buggy", "clunky", "fragile")),
        BOOK(List.of("gripping", "witty", "clever", "touching", "vivid"),
                List.of("tedious", "shallow", "flat", "slow", "clumsy")),
        EVENT(List.of("thrilling", "fun", "exciting", "memorable", "magical"),
                List.of("chaotic", "tiring", "messy", "dull", "crowded"));

        final List<String> positive, negative;

        Category(List<String> positive, List<String> negative) {
            this.positive = positive;
            this.negative = negative;
        }
    }

    /** "the movie" + "was", of a category. */
    record Subject(String noun, String verb, Category category) {}

    /** A prompt and the category its continuations draw from. */
    public record PromptText(String text, Category category) {}

    /** A pretraining line of the policy. */
    public record Line(String prompt, String completion, Sentiment sentiment) {}

    static final List<Subject> SUBJECTS = List.of(
            new Subject("the movie", "was", Category.FILM), new Subject("the film", "was", Category.FILM),
            new Subject("the plot", "was", Category.FILM), new Subject("the acting", "was", Category.FILM),
            new Subject("the ending", "was", Category.FILM), new Subject("the soundtrack", "was", Category.FILM),
            new Subject("the script", "was", Category.FILM),
            new Subject("the food", "was", Category.FOOD), new Subject("the pizza", "was", Category.FOOD),
            new Subject("the coffee", "was", Category.FOOD), new Subject("the soup", "was", Category.FOOD),
            new Subject("the dessert", "was", Category.FOOD), new Subject("the meal", "was", Category.FOOD),
            new Subject("the hotel", "was", Category.PLACE), new Subject("the room", "was", Category.PLACE),
            new Subject("the service", "was", Category.PLACE), new Subject("the staff", "were", Category.PLACE),
            new Subject("the view", "was", Category.PLACE), new Subject("our stay", "was", Category.PLACE),
            new Subject("the phone", "is", Category.PRODUCT), new Subject("the laptop", "is", Category.PRODUCT),
            new Subject("the battery", "is", Category.PRODUCT), new Subject("the screen", "is", Category.PRODUCT),
            new Subject("the headphones", "are", Category.PRODUCT), new Subject("this camera", "is", Category.PRODUCT),
            new Subject("the book", "was", Category.BOOK), new Subject("the story", "was", Category.BOOK),
            new Subject("the writing", "was", Category.BOOK), new Subject("the characters", "were", Category.BOOK),
            new Subject("the last chapter", "was", Category.BOOK),
            new Subject("the concert", "was", Category.EVENT), new Subject("the show", "was", Category.EVENT),
            new Subject("the game", "was", Category.EVENT), new Subject("the trip", "was", Category.EVENT));

    static final List<String> OPENINGS = List.of("", "Honestly, ", "I think ", "Overall, ", "To be honest, ",
            "My friend said ", "In the end, ", "If you ask me, ", "Everyone agreed ");

    static final List<String> POSITIVE = List.of("great", "wonderful", "excellent", "amazing", "fantastic", "lovely",
            "superb", "brilliant", "delightful", "perfect", "charming", "impressive", "enjoyable", "beautiful", "good");
    static final List<String> NEGATIVE = List.of("terrible", "awful", "boring", "horrible", "disappointing", "poor",
            "bad", "mediocre", "annoying", "weak", "painful", "sloppy", "dreadful", "bland", "lousy");
    static final List<String> NEUTRAL = List.of("okay", "fine", "average", "ordinary", "acceptable", "alright",
            "standard", "so-so");
    static final List<String> INTENSIFIERS = List.of("really", "very", "truly", "quite", "so", "pretty",
            "incredibly", "rather");
    static final List<String> POSITIVE_NOUNS = List.of("a delight", "a joy", "a real treat", "a masterpiece",
            "a gem", "worth every penny", "a pleasure", "a winner");
    static final List<String> NEGATIVE_NOUNS = List.of("a disaster", "a letdown", "a mess", "a waste of time",
            "a nightmare", "a rip-off", "a failure", "a chore");
    static final List<String> POSITIVE_TAILS = List.of("I loved it", "highly recommended", "would recommend",
            "loved it", "a must");
    static final List<String> NEGATIVE_TAILS = List.of("I hated it", "never again", "avoid it", "skip it",
            "sadly");
    static final List<String> NEUTRAL_PHRASES = List.of("okay, I guess", "fine, nothing special",
            "not bad, not great", "about what I expected", "neither good nor bad", "just average", "nothing special");

    /** Every prompt, in a fixed order: opening-major, then subject. */
    public static List<PromptText> allPrompts() {
        List<PromptText> out = new ArrayList<>();
        for (String opening : OPENINGS) {
            for (Subject s : SUBJECTS) {
                String text = opening + s.noun() + " " + s.verb();
                if (opening.isEmpty()) text = Character.toUpperCase(text.charAt(0)) + text.substring(1);
                out.add(new PromptText(text, s.category()));
            }
        }
        return out;
    }

    /** The held-out ({@code eval}) or training prompts: a seeded shuffle, first {@value #EVAL_PROMPTS} held out, order kept. */
    public static List<PromptText> prompts(boolean eval) {
        List<PromptText> all = allPrompts();
        int[] order = Shuffle.permutation(all.size(), Shuffle.deriveSeed(SEED, SPLIT_STREAM));
        boolean[] held = new boolean[all.size()];
        for (int i = 0; i < EVAL_PROMPTS; i++) held[order[i]] = true;
        List<PromptText> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) if (held[i] == eval) out.add(all.get(i));
        return out;
    }

    /** A continuation of the given sentiment for a prompt of {@code category}: leading space, final period, at most {@value #MAX_CONTINUATION} characters. */
    public static String continuation(Sentiment s, Category category, Shuffle.SplitMix64 r) {
        while (true) {
            String c = draft(s, category, r);
            if (c.length() <= MAX_CONTINUATION) return c;
        }
    }

    private static String draft(Sentiment s, Category category, Shuffle.SplitMix64 r) {
        if (s == Sentiment.NEUTRAL) {
            return switch (r.nextInt(3)) {
                case 0 -> " " + pick(NEUTRAL, r) + ".";
                case 1 -> " " + pick(INTENSIFIERS, r) + " " + pick(NEUTRAL, r) + ".";
                default -> " " + pick(NEUTRAL_PHRASES, r) + ".";
            };
        }
        boolean pos = s == Sentiment.POSITIVE;
        List<String> nouns = pos ? POSITIVE_NOUNS : NEGATIVE_NOUNS;
        List<String> tails = pos ? POSITIVE_TAILS : NEGATIVE_TAILS;
        return switch (r.nextInt(9)) {
            case 0, 1 -> " " + adjective(pos, category, r) + ".";
            case 2, 3 -> " " + pick(INTENSIFIERS, r) + " " + adjective(pos, category, r) + ".";
            case 4 -> {
                String a = adjective(pos, category, r), b;
                do b = adjective(pos, category, r); while (b.equals(a));
                yield " " + a + " and " + b + ".";
            }
            case 5 -> " " + pick(nouns, r) + ".";
            case 6 -> " " + adjective(pos, category, r) + ", " + pick(tails, r) + ".";
            case 7 -> " not " + adjective(!pos, category, r) + " at all.";
            default -> " not " + pick(List.of("very", "that", "at all"), r) + " " + adjective(!pos, category, r) + ".";
        };
    }

    private static String adjective(boolean positive, Category category, Shuffle.SplitMix64 r) {
        List<String> general = positive ? POSITIVE : NEGATIVE;
        List<String> own = positive ? category.positive : category.negative;
        int i = r.nextInt(general.size() + own.size());
        return i < general.size() ? general.get(i) : own.get(i - general.size());
    }

    private static String pick(List<String> list, Shuffle.SplitMix64 r) {
        return list.get(r.nextInt(list.size()));
    }

    private static Sentiment drawSentiment(double positive, Shuffle.SplitMix64 r) {
        double u = (r.nextLong() >>> 11) * 0x1.0p-53;
        if (u < positive) return Sentiment.POSITIVE;
        if (u < 2 * positive) return Sentiment.NEGATIVE;
        return Sentiment.NEUTRAL;
    }

    /**
     * Reward-model sentences (prompt + continuation) over all prompts, labeled 1 positive, 0 negative,
     * 0.5 neutral; held-out and training sets disjoint by text.
     */
    public static List<RewardModelRecipe.Example> rewardData(boolean eval) {
        List<PromptText> prompts = allPrompts();
        Shuffle.SplitMix64 r = new Shuffle.SplitMix64(Shuffle.deriveSeed(SEED, REWARD_STREAM));
        Set<String> seen = new LinkedHashSet<>();
        List<RewardModelRecipe.Example> evalSet = new ArrayList<>(), trainSet = new ArrayList<>();
        while (evalSet.size() < REWARD_EVAL || trainSet.size() < REWARD_TRAIN) {
            PromptText p = prompts.get(r.nextInt(prompts.size()));
            Sentiment s = drawSentiment(REWARD_POSITIVE, r);
            String text = p.text() + continuation(s, p.category(), r);
            if (!seen.add(text)) continue;
            (evalSet.size() < REWARD_EVAL ? evalSet : trainSet).add(new RewardModelRecipe.Example(text, s.label));
        }
        return eval ? evalSet : trainSet;
    }

    /** The base policy's pretraining lines, over the training prompts only. */
    public static List<Line> corpus() {
        List<PromptText> prompts = prompts(false);
        Shuffle.SplitMix64 r = new Shuffle.SplitMix64(Shuffle.deriveSeed(SEED, CORPUS_STREAM));
        List<Line> out = new ArrayList<>(CORPUS);
        for (int i = 0; i < CORPUS; i++) {
            PromptText p = prompts.get(r.nextInt(prompts.size()));
            Sentiment s = drawSentiment(CORPUS_POSITIVE, r);
            out.add(new Line(p.text(), continuation(s, p.category(), r), s));
        }
        return out;
    }

    /** The text of every data file, by name. */
    public static Map<String, String> files() {
        Map<String, String> files = new LinkedHashMap<>();
        Shuffle.SplitMix64 refs = new Shuffle.SplitMix64(Shuffle.deriveSeed(SEED, REFERENCE_STREAM));
        for (boolean eval : new boolean[] {false, true}) {
            files.put(eval ? "eval.jsonl" : "train.jsonl", promptLines(prompts(eval),
                    p -> continuation(drawSentiment(CORPUS_POSITIVE, refs), p.category(), refs)));
        }
        for (boolean eval : new boolean[] {false, true}) {
            StringBuilder sb = new StringBuilder();
            for (RewardModelRecipe.Example l : rewardData(eval)) {
                sb.append("{\"text\": ").append(quote(l.text())).append(", \"label\": ").append(label(l.label()))
                        .append("}\n");
            }
            files.put(eval ? "reward_eval.jsonl" : "reward_train.jsonl", sb.toString());
        }
        StringBuilder sb = new StringBuilder();
        for (Line l : corpus()) {
            sb.append("{\"prompt\": ").append(quote(l.prompt())).append(", \"completion\": ")
                    .append(quote(l.completion())).append("}\n");
        }
        files.put("corpus.jsonl", sb.toString());
        return files;
    }

    /** JSONL lines {"prompt": ..., "reference": ...}, one per prompt, in order. */
    static String promptLines(List<PromptText> prompts, java.util.function.Function<PromptText, String> reference) {
        StringBuilder sb = new StringBuilder();
        for (PromptText p : prompts) {
            sb.append("{\"prompt\": ").append(quote(p.text())).append(", \"reference\": ").append(quote(reference.apply(p)))
                    .append("}\n");
        }
        return sb.toString();
    }

    static String label(double label) {
        return label == 0.5 ? "0.5" : Integer.toString((int) label);
    }

    private static String quote(String s) {
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
                throw new IllegalStateException("template text needs JSON escaping: " + s);
            }
        }
        return "\"" + s + "\"";
    }

    /** Writes the data files into the folder given (the shipped ones: src/main/resources/raftj/tasks/sentiment). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: SentimentData DIR");
            System.exit(2);
        }
        DataFiles.write(Path.of(args[0]), files());
    }
}
