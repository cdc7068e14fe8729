package dev.raftj.select;

import java.util.ArrayList;
import java.util.List;

/**
 * ReST's Improve-step thresholds τ1 &lt; τ2 &lt; … on normalised rewards: Improve step i keeps
 * samples with normalised reward ≥ τi. Strictly increasing, each in [0, 1], at least one.
 */
public record ThresholdSchedule(List<Double> thresholds) {

    /** The example schedule from the ReST paper. */
    public static final ThresholdSchedule PAPER = new ThresholdSchedule(List.of(0.0, 0.7, 0.8, 0.9, 0.95));

    /** @throws IllegalArgumentException naming the first offending position (1-based) */
    public ThresholdSchedule {
        String problem = problem(thresholds);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        thresholds = List.copyOf(thresholds);
    }

    /** Parses "0.0, 0.7, 0.8" (comma- or whitespace-separated). */
    public static ThresholdSchedule parse(String text) {
        List<Double> values = new ArrayList<>();
        for (String part : text.trim().split("[,\\s]+")) {
            if (part.isEmpty()) {
                continue;
            }
            try {
                values.add(Double.parseDouble(part));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("threshold '" + part + "' is not a number");
            }
        }
        return new ThresholdSchedule(values);
    }

    /** What is wrong with a list of thresholds, or null if it is a valid schedule. */
    public static String problem(List<Double> thresholds) {
        if (thresholds.isEmpty()) {
            return "needs at least one threshold";
        }
        for (int i = 0; i < thresholds.size(); i++) {
            Double tau = thresholds.get(i);
            if (tau == null || !(tau >= 0 && tau <= 1)) {
                return "threshold " + (i + 1) + " is " + tau + ", must be in [0, 1]";
            }
            if (i > 0 && !(tau > thresholds.get(i - 1))) {
                return "not strictly increasing: threshold " + (i + 1) + " (" + tau
                        + ") is not above threshold " + i + " (" + thresholds.get(i - 1) + ")";
            }
        }
        return null;
    }

    public int size() {
        return thresholds.size();
    }

    /** τ for Improve step {@code step} (0-based). */
    public double get(int step) {
        return thresholds.get(step);
    }
}
