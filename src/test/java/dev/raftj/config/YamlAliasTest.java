package dev.raftj.config;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.core.UserError;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Family 7 of issue 14: YAML anchors and aliases are refused with file:line (Jackson would read an
 * alias as the plain string "name": a path named after the alias). JSON configurations have none.
 */
class YamlAliasTest {

    static String yaml(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "alias used as a path|model: &m models/policy;prompts: *m;reward: exact|run.yaml:1|&m",
            "alias of an undefined anchor|model: m;prompts: *nowhere;reward: exact|run.yaml:2|*nowhere",
            "anchor on a mapping|model: m;prompts: p;reward: exact;sampling: &s {k: 4};sft: {epochs: 1}|run.yaml:4|&s",
            "merge key|model: m;prompts: p;reward: exact;base: &b {k: 2};sampling: {<<: *b, temperature: 0.5}|run.yaml:4|&b",
            "billion laughs|a: &a [x, x];b: &b [*a, *a];c: &c [*b, *b];model: m|run.yaml:1|&a",
            "anchor on a scalar in a list|model: m;prompts: p;reward: exact;sampling: {stop: [&e END, *e]}|run.yaml:4|&e",
            "anchor late in the file|model: m;prompts: p;reward: exact;seed: 1;out: &o runs/x|run.yaml:5|&o",
    })
    void anchorsAndAliasesAreRefusedWithTheLine(String name, String lines, String where, String what) {
        UserError e = assertThrows(UserError.class, () -> ConfigLoader.parse(yaml(lines.split(";")), Path.of("run.yaml"),
                RunConfig.class));
        assertTrue(e.getMessage().startsWith(where + ":"), name + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(what) && e.getMessage().contains("not supported"), name + ": " + e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "an ampersand inside a quoted string|model: 'a&b';prompts: p;reward: exact",
            "an asterisk inside a string|model: m;prompts: 'p*';reward: exact;sampling: {stop: ['*', '&']}",
    })
    void ampersandsAndAsterisksInStringsAreFine(String name, String lines) {
        ConfigLoader.parse(yaml(lines.split(";")), Path.of("run.yaml"), RunConfig.class);
    }
}
