package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library example, compiled and run on a tiny setting; the README must match it. */
class ReadmeExampleTest {

    @Test
    void readmeExampleRuns(@TempDir Path tmp) throws Exception {
        Path runYaml = RaftRunTest.config(tmp, 1);
        Files.writeString(runYaml, Files.readString(runYaml) + "out: " + tmp.resolve("demo") + "\n");
        // --- the README example, with run.yaml -> runYaml ---
        RunConfig cfg = ConfigLoader.load(runYaml, RunConfig.class);
        AlignmentSetup setup = new AlignmentSetup(cfg, null, runYaml.toAbsolutePath().getParent());
        RunState state = RunState.fresh(Path.of(cfg.out()), cfg);
        RunSummary summary = new Raft(setup, state, line -> System.out.println(line)).run();
        System.out.println("eval reward " + summary.evalRewardBase() + " -> " + summary.evalRewardFinal());
        // ---
        assertTrue(summary.evalRewardFinal() != null);
        String readme = Files.readString(Path.of("README.md"));
        String source = Files.readString(Path.of("src/test/java/dev/raftj/align/ReadmeExampleTest.java"));
        int start = readme.indexOf("```java\n") + 8;
        for (String line : readme.substring(start, readme.indexOf("```", start)).strip().split("\n")) {
            String mine = line.strip().replace("Path.of(\"run.yaml\")", "runYaml");
            assertTrue(source.contains(mine), "README line not in this test: " + line);
        }
    }
}
