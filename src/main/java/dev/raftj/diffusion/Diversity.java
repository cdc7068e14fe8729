package dev.raftj.diffusion;

/** How different a model's samples of one class are from each other. */
public final class Diversity {
    private Diversity() {}

    /**
     * The mean, over classes with at least two images, of the mean Euclidean distance between
     * every pair of that class's images (each image {@code per} values); 0 when no class has two.
     */
    public static double meanPairwiseL2(float[] images, long[] labels, int per) {
        java.util.Map<Long, java.util.List<Integer>> byClass = new java.util.TreeMap<>();
        for (int i = 0; i < labels.length; i++) byClass.computeIfAbsent(labels[i], k -> new java.util.ArrayList<>()).add(i);
        double total = 0;
        int classes = 0;
        for (var members : byClass.values()) {
            if (members.size() < 2) continue;
            double sum = 0;
            int pairs = 0;
            for (int a = 0; a < members.size(); a++) {
                for (int b = a + 1; b < members.size(); b++) {
                    int ia = members.get(a) * per, ib = members.get(b) * per;
                    double d = 0;
                    for (int k = 0; k < per; k++) {
                        double diff = images[ia + k] - images[ib + k];
                        d += diff * diff;
                    }
                    sum += Math.sqrt(d);
                    pairs++;
                }
            }
            total += sum / pairs;
            classes++;
        }
        return classes == 0 ? 0 : total / classes;
    }
}
