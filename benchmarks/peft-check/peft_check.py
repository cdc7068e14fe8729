"""Checks one raftj LoRA run against Hugging Face PEFT (run by benchmarks/peft-check.sh).

Given the base model, the adapter `raftj align` wrote, `raftj generate --adapter` output for the
prompts, and `raftj merge` output, it computes with PEFT and transformers:
  - greedy tokens of PeftModel(base, adapter) from the same prompt ids, compared with raftj's exactly;
  - PEFT's log-probability of each of raftj's greedy tokens (teacher forcing), against raftj's;
  - merge_and_unload()'s weights, and W + s·B·A computed here from the two files, against raftj merge's;
  - transformers' log-probabilities on the merged folder, against raftj generate --adapter's;
  - a negative control: the same comparison with lora_alpha doubled in adapter_config.json must fail;
  - how far the adapter moves the base model (so that agreement is not agreement of two no-ops).
Prompt ids are HF tokenizers' own (golden.json's tokenizer_samples), so no Python tokenizer is used.
Writes one JSON object. Usage: peft_check.py --family NAME --base DIR --adapter DIR --merged DIR
  --prompts golden.json --raftj-gen FILE --raftj-merged-gen FILE --out FILE
"""
import argparse
import json
import math
import os
import shutil
import tempfile

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

LOGPROB_TOL = 1e-4
MERGE_TOL = 1e-5


def load_base(path):
    return AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32).eval()


def load_peft(base, adapter):
    return PeftModel.from_pretrained(load_base(base), adapter).eval()


@torch.no_grad()
def greedy(model, prompt_ids, new_tokens):
    """Argmax decoding without a cache or an EOS stop: each step one full forward pass."""
    seq = list(prompt_ids)
    tokens, logprobs = [], []
    for _ in range(new_tokens):
        logits = model(input_ids=torch.tensor([seq])).logits[0, -1]
        lp = torch.log_softmax(logits.double(), -1)
        tok = int(torch.argmax(logits))
        tokens.append(tok)
        logprobs.append(float(lp[tok]))
        seq.append(tok)
    return tokens, logprobs


@torch.no_grad()
def teacher_forced(model, prompt_ids, tokens):
    """log p(tokens[i] | prompt, tokens[:i]) in one forward pass."""
    seq = torch.tensor([list(prompt_ids) + list(tokens)])
    lp = torch.log_softmax(model(input_ids=seq).logits[0].double(), -1)
    start = len(prompt_ids) - 1
    return [float(lp[start + i, t]) for i, t in enumerate(tokens)]


def max_abs(a, b):
    return max(abs(x - y) for x, y in zip(a, b))


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def adapter_deltas(adapter_dir):
    """{base weight name: s·B·A in the base weight's layout} from the adapter's own files."""
    cfg = json.load(open(os.path.join(adapter_dir, "adapter_config.json")))
    scale = cfg["lora_alpha"] / (math.sqrt(cfg["r"]) if cfg.get("use_rslora") else cfg["r"])
    tensors = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    deltas = {}
    for key, a in tensors.items():
        if ".lora_A." not in key:
            continue
        b = tensors[key.replace(".lora_A.", ".lora_B.")]
        delta = scale * (b.double() @ a.double())
        name = key.removeprefix("base_model.model.").replace(".lora_A.weight", ".weight")
        deltas[name] = delta.T if cfg.get("fan_in_fan_out") else delta
    return deltas, cfg, tensors


def compare_merge(base_dir, adapter_dir, merged_dir):
    raftj = load_file(os.path.join(merged_dir, "model.safetensors"))
    peft_merged = load_peft(base_dir, adapter_dir).merge_and_unload()
    peft_params = dict(peft_merged.named_parameters())
    base = load_file(os.path.join(base_dir, "model.safetensors"))
    deltas, _, _ = adapter_deltas(adapter_dir)
    missing = sorted(set(peft_params) - set(raftj))
    tied = [k for k in missing if k == "lm_head.weight" and peft_merged.config.tie_word_embeddings]
    vs_peft = max(float((raftj[k].double() - peft_params[k].detach().double()).abs().max()) for k in raftj if k in peft_params)
    vs_formula = max(float((raftj[k].double() - (base[k].double() + deltas.get(k, 0))).abs().max()) for k in raftj)
    bitwise = all(torch.equal(raftj[k], peft_params[k].detach()) for k in raftj if k in peft_params)
    return {
        "tensors_compared": len([k for k in raftj if k in peft_params]),
        "adapted_weights": len(deltas),
        "missing_from_raftj": [k for k in missing if k not in tied],
        "max_abs_raftj_vs_peft_merge_and_unload": vs_peft,
        "bitwise_equal_to_merge_and_unload": bitwise,
        "max_abs_raftj_vs_base_plus_sBA": vs_formula,
        "max_abs_sBA": max(float(d.abs().max()) for d in deltas.values()),
    }


def tampered_copy(adapter_dir, factor):
    tmp = tempfile.mkdtemp(prefix="peft-check-tampered-")
    for f in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy(os.path.join(adapter_dir, f), tmp)
    path = os.path.join(tmp, "adapter_config.json")
    cfg = json.load(open(path))
    cfg["lora_alpha"] = cfg["lora_alpha"] * factor
    json.dump(cfg, open(path, "w"))
    return tmp


def main():
    ap = argparse.ArgumentParser()
    for a in ("family", "base", "adapter", "merged", "prompts", "raftj_gen", "raftj_merged_gen", "out"):
        ap.add_argument("--" + a.replace("_", "-"), required=True)
    args = ap.parse_args()
    torch.manual_seed(0)
    samples = [s for s in json.load(open(args.prompts))["tokenizer_samples"] if s["text"]]
    gen = read_jsonl(args.raftj_gen)
    merged_gen = read_jsonl(args.raftj_merged_gen)
    assert [g["prompt"] for g in gen] == [s["text"] for s in samples], "raftj output is not for golden.json's prompts"

    peft_model = load_peft(args.base, args.adapter)
    base_model = load_base(args.base)
    merged_model = load_base(args.merged)
    cases, tamper_dir = [], tampered_copy(args.adapter, 2)
    tampered = load_peft(args.base, tamper_dir)
    for s, g, mg in zip(samples, gen, merged_gen):
        ids, n = s["ids"], len(g["tokens"])
        p_tokens, p_greedy_lp = greedy(peft_model, ids, n)
        p_lp = teacher_forced(peft_model, ids, g["tokens"])
        cases.append({
            "prompt": s["text"], "prompt_tokens": len(ids), "new_tokens": n,
            "tokens_equal": p_tokens == g["tokens"],
            "max_abs_logprob_raftj_vs_peft": max_abs(p_lp, g["logprobs"]),
            "max_abs_logprob_peft_greedy_vs_raftj": max_abs(p_greedy_lp, g["logprobs"]) if p_tokens == g["tokens"] else None,
            "merged_folder_tokens_equal": greedy(merged_model, ids, n)[0] == g["tokens"],
            "max_abs_logprob_transformers_merged_vs_raftj_adapter": max_abs(teacher_forced(merged_model, ids, g["tokens"]), g["logprobs"]),
            "raftj_merged_tokens_equal": mg["tokens"] == g["tokens"],
            "max_abs_logprob_raftj_merged_vs_raftj_adapter": max_abs(mg["logprobs"], g["logprobs"]),
            "adapter_effect_max_abs_logprob": max_abs(teacher_forced(base_model, ids, g["tokens"]), p_lp),
            "tokens_differ_from_base": greedy(base_model, ids, n)[0] != g["tokens"],
            "tampered_alpha_max_abs_logprob": max_abs(teacher_forced(tampered, ids, g["tokens"]), g["logprobs"]),
            "tampered_alpha_tokens_equal": greedy(tampered, ids, n)[0] == g["tokens"],
        })
    shutil.rmtree(tamper_dir)
    merge = compare_merge(args.base, args.adapter, args.merged)
    _, cfg, tensors = adapter_deltas(args.adapter)

    def worst(key):
        return max(c[key] for c in cases)

    agree = (all(c["tokens_equal"] and c["merged_folder_tokens_equal"] for c in cases)
             and worst("max_abs_logprob_raftj_vs_peft") <= LOGPROB_TOL
             and worst("max_abs_logprob_transformers_merged_vs_raftj_adapter") <= LOGPROB_TOL
             and merge["max_abs_raftj_vs_peft_merge_and_unload"] <= MERGE_TOL
             and merge["max_abs_raftj_vs_base_plus_sBA"] <= MERGE_TOL and not merge["missing_from_raftj"])
    control_fails = (worst("tampered_alpha_max_abs_logprob") > LOGPROB_TOL
                     or not all(c["tampered_alpha_tokens_equal"] for c in cases))
    result = {
        "family": args.family,
        "adapter": {k: cfg.get(k) for k in ("r", "lora_alpha", "use_rslora", "fan_in_fan_out", "target_modules", "lora_dropout")},
        "adapter_parameters": sum(t.numel() for t in tensors.values()),
        "cases": cases,
        "merge": merge,
        "summary": {
            "tokens_equal": all(c["tokens_equal"] for c in cases),
            "max_abs_logprob_raftj_vs_peft": worst("max_abs_logprob_raftj_vs_peft"),
            "merged_folder_tokens_equal": all(c["merged_folder_tokens_equal"] for c in cases),
            "max_abs_logprob_transformers_merged_vs_raftj_adapter": worst("max_abs_logprob_transformers_merged_vs_raftj_adapter"),
            "max_abs_logprob_raftj_merged_vs_raftj_adapter": worst("max_abs_logprob_raftj_merged_vs_raftj_adapter"),
            "max_abs_merge_raftj_vs_peft": merge["max_abs_raftj_vs_peft_merge_and_unload"],
            "merge_bitwise_equal_to_peft": merge["bitwise_equal_to_merge_and_unload"],
            "max_abs_merge_raftj_vs_base_plus_sBA": merge["max_abs_raftj_vs_base_plus_sBA"],
            "adapter_effect_max_abs_logprob": worst("adapter_effect_max_abs_logprob"),
            "prompts_whose_greedy_tokens_the_adapter_changed": sum(c["tokens_differ_from_base"] for c in cases),
            "tampered_alpha_max_abs_logprob": worst("tampered_alpha_max_abs_logprob"),
            "agrees": agree,
            "negative_control_fails": control_fails,
            "pass": agree and control_fails,
        },
    }
    json.dump(result, open(args.out, "w"), indent=1)
    s = result["summary"]
    print(f"{args.family}: tokens equal {s['tokens_equal']}, log-prob |Δ| ≤ {s['max_abs_logprob_raftj_vs_peft']:.2e}, "
          f"merge |Δ| vs PEFT {s['max_abs_merge_raftj_vs_peft']:.2e}, merged folder |Δ| {s['max_abs_logprob_transformers_merged_vs_raftj_adapter']:.2e}, "
          f"tampered α |Δ| {s['tampered_alpha_max_abs_logprob']:.2e} -> {'PASS' if s['pass'] else 'FAIL'}")


if __name__ == "__main__":
    main()
