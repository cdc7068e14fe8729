package dev.raftj.align;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.config.ConfigLoader;
import dev.raftj.config.RaftConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library example, compiled and run on a tiny setting; the README must match it. */
class ReadmeExampleTest {

    @Test
    void readmeExampleRuns(@TempDir Path tmp) throws Exception {
        Path runYaml = RaftRunTest.config(tmp, 1);
        Files.writeString(runYaml, Files.readString(runYaml) + "out: " + tmp.resolve("demo") + "\n");
        // --- the README example, with run.yaml -> runYaml ---
        RaftConfig cfg = ConfigLoader.load(runYaml, RaftConfig.class);
        AlignmentSetup setup = new AlignmentSetup(cfg, null, runYaml.toAbsolutePath().getParent());
        RunState state = RunState.fresh(Path.of(cfg.out()), cfg.sft());
        Map<String, Object> summary = new Raft(cfg, setup, state, line -> System.out.println(line)).run();
        System.out.println("eval reward " + summary.get("eval_reward_base") + " -> " + summary.get("eval_reward_final"));
        // ---
        assertTrue(summary.containsKey("eval_reward_final"));
        String readme = Files.readString(Path.of("README.md"));
        String source = Files.readString(Path.of("src/test/java/dev/raftj/align/ReadmeExampleTest.java"));
        int start = readme.indexOf("```java\n") + 8;
        for (String line : readme.substring(start, readme.indexOf("```", start)).strip().split("\n")) {
            String mine = line.strip().replace("Path.of(\"run.yaml\")", "runYaml");
            assertTrue(source.contains(mine), "README line not in this test: " + line);
        }
    }
}
