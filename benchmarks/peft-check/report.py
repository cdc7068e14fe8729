"""Collects peft_check.py's results into benchmarks/results/peft-check.{json,md}; exits 1 unless all pass.
Usage: report.py WORK_DIR RESULTS_DIR COMMIT FAMILY..."""
import json
import os
import sys

import peft
import safetensors
import torch
import transformers

work, out, commit, families = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
checks = [json.load(open(os.path.join(work, f"{f}-check.json"))) for f in families]
for c in checks:
    c["adapter_config_json"] = json.load(open(os.path.join(work, f"{c['family']}-adapter_config.json")))
seqcls = json.load(open(os.path.join(work, "seqcls-check.json")))
res = {"commit": commit,
       "stack": {"peft": peft.__version__, "transformers": transformers.__version__,
                 "torch": torch.__version__, "safetensors": safetensors.__version__},
       "tolerances": {"logprob": 1e-4, "merge": 1e-5},
       "pass": all(c["summary"]["pass"] for c in checks) and seqcls["pass"], "checks": checks,
       "reward_model_check": seqcls}
json.dump(res, open(os.path.join(out, "peft-check.json"), "w"), indent=1)


def row(name, key, fmt):
    return f"| {name} | " + " | ".join(fmt(c["summary"][key]) for c in checks) + " |"


def e(x):
    return f"{x:.1e}"


def yn(x):
    return "yes" if x else "**no**"


def lora(c):
    a = c["adapter"]
    return (f"r {a['r']}, α {a['lora_alpha']}{', rsLoRA' if a['use_rslora'] else ''}"
            f"{', fan_in_fan_out' if a['fan_in_fan_out'] else ''}; {', '.join(a['target_modules'])}")


lines = [f"PEFT {peft.__version__}, transformers {transformers.__version__}, torch {torch.__version__}, "
         f"safetensors {safetensors.__version__}; raftj commit {commit}. Tolerances: log-probs 1e-4, weights 1e-5.", "",
         "| check | " + " | ".join(f"{c['family']}-tiny" for c in checks) + " |",
         "|---|" + "---|" * len(checks),
         "| adapter (trained by `raftj align`) | " + " | ".join(lora(c) for c in checks) + " |",
         "| prompts × greedy tokens | " + " | ".join(f"{len(c['cases'])} × {c['cases'][0]['new_tokens']}" for c in checks) + " |",
         row("PEFT greedy tokens = `raftj generate --adapter`", "tokens_equal", yn),
         row("max \\|Δ log p\\|, PEFT vs raftj", "max_abs_logprob_raftj_vs_peft", e),
         row("max \\|Δ W\\|, `raftj merge` vs `merge_and_unload()`", "max_abs_merge_raftj_vs_peft", e),
         row("`raftj merge` bitwise = `merge_and_unload()`", "merge_bitwise_equal_to_peft", yn),
         row("max \\|Δ W\\|, `raftj merge` vs W + s·B·A (float64)", "max_abs_merge_raftj_vs_base_plus_sBA", e),
         row("merged folder in transformers: same greedy tokens", "merged_folder_tokens_equal", yn),
         row("max \\|Δ log p\\|, merged folder (transformers) vs raftj adapter", "max_abs_logprob_transformers_merged_vs_raftj_adapter", e),
         row("adapter's effect: max \\|Δ log p\\| base vs base + adapter", "adapter_effect_max_abs_logprob", lambda x: f"{x:.2f}"),
         row("prompts whose greedy tokens the adapter changed", "prompts_whose_greedy_tokens_the_adapter_changed", str),
         row("negative control, lora_alpha × 2: max \\|Δ log p\\| (must exceed 1e-4)", "tampered_alpha_max_abs_logprob", lambda x: f"{x:.2f}"),
         row("**pass**", "pass", yn), "",
         f"Reward model, PEFT → raftj: a SEQ_CLS adapter saved by PEFT for gpt2-reward-tiny (r {seqcls['adapter']['r']}, "
         f"α {seqcls['adapter']['lora_alpha']} on {', '.join(seqcls['adapter']['target_modules'])}, random B, perturbed score head): "
         f"`raftj score --adapter` within {seqcls['max_abs_score_raftj_vs_peft']:.1e} of PEFT's scores on {seqcls['pairs']} pairs "
         f"(the adapter moves them by up to {seqcls['adapter_effect_max_abs_score']:.2f}; with lora_alpha × 2, "
         f"{seqcls['tampered_alpha_max_abs_score']:.2f}): {'pass' if seqcls['pass'] else '**FAIL**'}."]
open(os.path.join(out, "peft-check.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if res["pass"] else 1)
