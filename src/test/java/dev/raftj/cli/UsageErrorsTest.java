package dev.raftj.cli;

import static dev.raftj.cli.CliTest.raftj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.raftj.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Family 8 of issue 14: usage errors (unknown flag or command, missing or malformed value, missing
 * required option) print one "raftj: error:" line and a pointer to --help, and exit 2; input errors
 * exit 1. The README's "Bad input" section says so, and this test reads it.
 */
class UsageErrorsTest {
    static final String M = Reference.model("gpt2-tiny").toString();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "unknown flag|generate --model M --prompt x --modle y|Unknown option|raftj generate --help",
            "misspelt flag|generate --model M --prompt x --max-new-token 3|--max-new-tokens|raftj generate --help",
            "missing value|generate --model M --prompt|Missing required parameter|raftj generate --help",
            "not a number|generate --model M --prompt x --max-new-tokens lots|'lots' is not an int|raftj generate --help",
            "int overflow|generate --model M --prompt x --max-new-tokens 2147483648|'2147483648' is not an int|--help",
            "long overflow|generate --model M --prompt x --seed 99999999999999999999|is not a long|--help",
            "lower-case nan|generate --model M --prompt x --temperature nan|'nan' is not a double|--help",
            "missing required option|generate --prompt x|Missing required option|--help",
            "unknown command|algin|Unmatched argument|Did you mean",
            "bad enum|generate --model M --prompt x --format yaml|--format|text, json",
            "greedy and temperature|generate --model M --prompt x --greedy --temperature 0.5|mutually exclusive|--help",
            "score without responses|score --reward-model M --prompt a|Missing required option|raftj score --help",
            "align stray argument|align extra|Unmatched argument|raftj align --help",
    })
    void usageErrorsExit2WithOneErrorLine(String name, String args, String mention, String hint) {
        CliTest.Run run = raftj(args.replace("M", M).split(" "));
        assertEquals(2, run.code(), name + ": " + run.err());
        assertTrue(run.err().startsWith("raftj: error: "), name + ": " + run.err());
        assertTrue(run.err().contains(mention), name + ": " + run.err());
        assertTrue(run.err().contains(hint), name + ": " + run.err());
        assertFalse(run.err().contains("Usage:"), "no usage dump: " + run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        assertEquals("", run.out());
    }

    @org.junit.jupiter.api.Test
    void inputErrorsExit1AndTheReadmeSaysWhich() throws Exception {
        CliTest.assertUserError(raftj("generate", "--model", M, "--prompt", "x", "--top-k", "-1"), "--top-k");
        Path readme = Path.of("README.md");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(readme), "run from the repository root");
        String text = Files.readString(readme);
        int at = text.indexOf("\n## Bad input");
        assertTrue(at >= 0, "README has a '## Bad input' section");
        String section = text.substring(at);
        String flat = section.replaceAll("\\s+", " ");
        assertTrue(flat.contains("usage errors (unknown flag") && flat.contains("with exit status 2"),
                "README states usage errors exit 2");
        assertTrue(flat.contains("Bad input (a file, a value, a configuration field) ends with exit status 1"),
                "README states input errors exit 1");
    }
}
