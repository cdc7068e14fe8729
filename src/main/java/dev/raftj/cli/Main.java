package dev.raftj.cli;

import dev.raftj.core.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code raftj} command: subcommands for generation, scoring and alignment. */
@Command(name = "raftj", mixinStandardHelpOptions = true, version = "raftj 0.1.0",
        description = "Reward-ranked fine-tuning (RAFT, ReST) of Hugging Face models on the JVM.",
        subcommands = {AlignCommand.class, GenerateCommand.class, ScoreCommand.class, MergeCommand.class, PretrainCommand.class, InitCommand.class, LaunchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    static {
        // One line per log record, on stderr, so that stdout stays machine-readable.
        System.setProperty("java.util.logging.SimpleFormatter.format", "raftj: %4$s: %5$s%6$s%n");
        dev.raftj.torch.Torch.turnOffJavaCppMemoryPoll(); // before any JavaCPP class loads
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the CLI and returns the exit code: 0 ok, 1 bad input (a file, a value), 2 usage error
     * (unknown flag, missing or malformed value), 3 internal error. Errors print one
     * {@code raftj: error: ...} line, internal ones a stack trace too.
     */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with the given output streams (for embedding and tests). */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true); // --truncate left, --format JSON
        // launch passes everything from its COMMAND on to the processes it starts
        cli.getSubcommands().get("launch").setStopAtPositional(true).setUnmatchedOptionsArePositionalParams(true);
        // Usage errors (unknown flag, missing or malformed value) read like every other error, one
        // "raftj: error:" line, and exit 2 as usage errors conventionally do (input errors exit 1).
        cli.setParameterExceptionHandler((ex, args1) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("raftj: error: " + ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, c.getErr());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for its options.");
            c.getErr().flush();
            return 2;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable cause = ex;
            while (!(cause instanceof UserError) && cause.getCause() != null) cause = cause.getCause();
            if (cause instanceof UserError || ex instanceof IllegalArgumentException) {
                commandLine.getErr().println("raftj: error: " + (cause instanceof UserError ? cause : ex).getMessage());
                return 1;
            }
            commandLine.getErr().println("raftj: internal error (please report): " + ex);
            ex.printStackTrace(commandLine.getErr());
            return 3;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError oom) {
            // The checks before each allocation should make this unreachable; if not, still no stack trace.
            err.println("raftj: error: out of memory (" + oom.getMessage() + "): ask for less (fewer samples, a smaller"
                    + " batch, fewer new tokens) or give Java more (RAFTJ_JAVA_OPTS=-Xmx...)");
            err.flush();
            return 1;
        }
    }
}
