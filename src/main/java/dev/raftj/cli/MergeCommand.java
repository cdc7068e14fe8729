package dev.raftj.cli;

import dev.raftj.lora.LoraMerge;
import dev.raftj.lora.PeftFiles;
import dev.raftj.model.CausalLM;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code raftj merge}: fold a LoRA adapter into its base model and write plain HF weights. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge a LoRA adapter into its base model (W + s·B·A, as PEFT's merge_and_unload) and write an "
                + "HF model folder.")
public final class MergeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, description = "Base model folder: config.json, model.safetensors, tokenizer.json.")
    Path model;

    @Option(names = "--adapter", required = true, description = "LoRA adapter folder (adapter_config.json, adapter_model.safetensors).")
    Path adapter;

    @Option(names = "--out", required = true, description = "Folder to write the merged model to (replaced whole).")
    Path out;

    @Mixin ModelOptions modelOptions;

    @Override
    public Integer call() {
        modelOptions.init();
        CausalLM base = CausalLM.load(model, modelOptions.device(), modelOptions.dtype());
        LoraMerge.write(base, PeftFiles.read(adapter, base, null), out);
        spec.commandLine().getOut().println("merged " + adapter + " into " + model + ": " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
