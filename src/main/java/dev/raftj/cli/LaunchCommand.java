package dev.raftj.cli;

import dev.raftj.core.UserError;
import dev.raftj.dist.DistEnv;
import dev.raftj.dist.Launcher;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code raftj launch}: a data-parallel run on this node, torchrun-style. */
@Command(name = "launch", mixinStandardHelpOptions = true,
        description = {"Start this node's processes of a data-parallel run (torchrun conventions): each runs 'raftj align ...'"
                + " with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT set, its output prefixed by its rank.",
                "Processes started by something else (Slurm, Kubernetes, torchrun) only need those variables.",
                "Example: raftj launch --nproc-per-node 2 align --task arith"})
public final class LaunchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--nproc-per-node", required = true, description = "Processes on this node.")
    int nprocPerNode;

    @Option(names = "--nnodes", defaultValue = "1", description = "Nodes in the run (default: ${DEFAULT-VALUE}).")
    int nnodes;

    @Option(names = "--node-rank", defaultValue = "0", description = "This node's index, 0..nnodes-1 (default: ${DEFAULT-VALUE}).")
    int nodeRank;

    @Option(names = "--master-addr", defaultValue = "127.0.0.1", description = "Address of node 0 (default: ${DEFAULT-VALUE}).")
    String masterAddr;

    @Option(names = "--master-port", defaultValue = "29500", description = "Free TCP port on node 0 (default: ${DEFAULT-VALUE}).")
    int masterPort;

    @Option(names = "--timeout", defaultValue = "" + DistEnv.DEFAULT_TIMEOUT_SECONDS, paramLabel = "SECONDS",
            description = "How long a collective waits for the other ranks before the run fails (default: ${DEFAULT-VALUE}).")
    int timeout;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The raftj command each process runs: align and its options.")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (nprocPerNode < 1) throw new UserError("--nproc-per-node: must be >= 1, got " + nprocPerNode);
        if (nnodes < 1) throw new UserError("--nnodes: must be >= 1, got " + nnodes);
        if (nodeRank < 0 || nodeRank >= nnodes) throw new UserError("--node-rank: must be in 0.." + (nnodes - 1) + ", got " + nodeRank);
        if (masterPort < 1 || masterPort > 65535) throw new UserError("--master-port: not a TCP port (1..65535): " + masterPort);
        if (timeout < 1) throw new UserError("--timeout: must be >= 1 second, got " + timeout);
        if (!command.get(0).equals("align")) {
            throw new UserError("launch: runs 'raftj align ...' (the data-parallel command), got '" + command.get(0) + "'");
        }
        var plan = new Launcher.Plan(nprocPerNode, nnodes, nodeRank, masterAddr.strip(), masterPort, timeout);
        return new Launcher(plan, spec.commandLine().getOut(), spec.commandLine().getErr()).run(command);
    }
}
