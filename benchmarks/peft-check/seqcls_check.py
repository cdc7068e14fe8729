"""PEFT -> raftj for reward models (run by benchmarks/peft-check.sh): `raftj score --adapter`.

`raftj align` trains causal-LM adapters only, so this direction starts in PEFT: `make` saves a
SEQ_CLS LoRA adapter for gpt2-reward-tiny with PEFT's own save_pretrained (r 4, α 8 on c_attn and
c_fc, B drawn at random so the adapter changes the scores, the score head trained-like: perturbed,
saved through modules_to_save), and `compare` checks raftj's scores against PEFT's within 1e-4,
with a negative control (the same adapter with lora_alpha doubled must disagree).
Texts are golden.json's tokenizer samples, split into prompt and response at the first space; the
reward model reads prompt + response as one text, so their ids are HF tokenizers' ids for the text.
Usage: seqcls_check.py make BASE GOLDEN OUT_DIR   (writes OUT_DIR/{adapter,tampered}/ and OUT_DIR/score-args,
         raftj score's --prompt P --response R arguments, NUL-separated)
       seqcls_check.py compare BASE GOLDEN OUT_DIR RAFTJ_JSONL RAFTJ_TAMPERED_JSONL RESULT_JSON
"""
import json
import os
import sys

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForSequenceClassification

TOL = 1e-4


def samples(golden):
    return [s for s in json.load(open(golden))["tokenizer_samples"] if " " in s["text"].strip()]


def split(text):
    cut = text.index(" ", 1 if text.startswith(" ") else 0)
    return text[:cut], text[cut:]


def load_base(base):
    return AutoModelForSequenceClassification.from_pretrained(base, torch_dtype=torch.float32).eval()


def make(base, golden, out):
    torch.manual_seed(0)
    cfg = LoraConfig(task_type="SEQ_CLS", r=4, lora_alpha=8, target_modules=["c_attn", "c_fc"], fan_in_fan_out=True)
    model = get_peft_model(load_base(base), cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.3)
            elif "modules_to_save" in name and "score" in name:
                p.add_(torch.randn_like(p) * 0.3)
    model.save_pretrained(os.path.join(out, "adapter"))
    tampered = os.path.join(out, "tampered")
    model.save_pretrained(tampered)
    path = os.path.join(tampered, "adapter_config.json")
    c = json.load(open(path))
    c["lora_alpha"] *= 2
    json.dump(c, open(path, "w"))
    with open(os.path.join(out, "score-args"), "w") as f:
        for s in samples(golden):
            prompt, response = split(s["text"])
            f.write(f"--prompt\0{prompt}\0--response\0{response}\0")


@torch.no_grad()
def scores(model, golden):
    return [float(model(input_ids=torch.tensor([s["ids"]])).logits[0, 0]) for s in samples(golden)]


def compare(base, golden, out, raftj_jsonl, tampered_jsonl, result):
    def read(path):
        return [json.loads(line)["score"] for line in open(path) if line.strip()]

    peft_scores = scores(PeftModel.from_pretrained(load_base(base), os.path.join(out, "adapter")).eval(), golden)
    base_scores = scores(load_base(base), golden)
    raftj, raftj_tampered = read(raftj_jsonl), read(tampered_jsonl)
    diff = max(abs(a - b) for a, b in zip(raftj, peft_scores))
    effect = max(abs(a - b) for a, b in zip(base_scores, peft_scores))
    control = max(abs(a - b) for a, b in zip(raftj_tampered, peft_scores))
    cfg = json.load(open(os.path.join(out, "adapter", "adapter_config.json")))
    res = {"family": "gpt2-reward-tiny (SEQ_CLS, PEFT-made)", "pairs": len(raftj),
           "adapter": {k: cfg.get(k) for k in ("r", "lora_alpha", "target_modules", "modules_to_save", "fan_in_fan_out", "task_type")},
           "peft_scores": peft_scores, "raftj_scores": raftj, "base_scores": base_scores,
           "max_abs_score_raftj_vs_peft": diff, "adapter_effect_max_abs_score": effect,
           "tampered_alpha_max_abs_score": control, "pass": diff <= TOL and control > TOL and len(raftj) == len(peft_scores)}
    json.dump(res, open(result, "w"), indent=1)
    print(f"reward model: score |Δ| raftj vs PEFT {diff:.2e} (adapter moves scores by up to {effect:.2f}; "
          f"tampered α |Δ| {control:.2f}) -> {'PASS' if res['pass'] else 'FAIL'}")


if __name__ == "__main__":
    {"make": make, "compare": compare}[sys.argv[1]](*sys.argv[2:])
