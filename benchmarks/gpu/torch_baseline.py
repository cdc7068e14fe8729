"""torch_baseline.py: the LibTorch-op baselines for raftj's kernels, timed with the machine's own
PyTorch (2.11 on the lent GPUs), and the report that sets them beside kernel_check's numbers.

  python3 torch_baseline.py --out DIR                 times the baselines -> DIR/torch_baseline.json
  python3 torch_baseline.py --report DIR              prints the ratio table from DIR/kernel_check.json
                                                      and DIR/torch_baseline.json (-> DIR/report.json)

Baselines (same shapes and input distribution as kernel_check): sampling as the softmax / sort /
cumsum / multinomial chain (plus log_softmax for the returned logprob), torch.topk for segmented
and global ranking (with the KL key computed by separate ops where asked), and index_select +
linear for the reward head. Times are medians of CUDA-event means over rotated inputs, eager (as
a PyTorch user calls them) and captured in a CUDA graph (no Python or launch gaps).
"""
import argparse
import json
import os
import statistics
import sys


def event_us(torch, run, iters, reps):
    """Median over reps of the CUDA-event time of run(), per one of its iters calls, in microseconds."""
    ts = []
    for _ in range(reps):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        run()
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b) * 1000.0 / iters)
    return statistics.median(ts)


def timeit(torch, fn, iters, reps=5):
    for i in range(3):
        fn(i)
    torch.cuda.synchronize()

    def run():
        for i in range(iters):
            fn(i)
    return event_us(torch, run, iters, reps)


def timeit_graph(torch, fn, iters, reps=5):
    """The same calls captured once in a CUDA graph: torch's kernels without Python and launch
    overhead between them (a stricter baseline than eager). None where capture fails."""
    try:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for i in range(3):
                fn(i)
        torch.cuda.current_stream().wait_stream(side)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            for i in range(iters):
                fn(i)
        g.replay()
        torch.cuda.synchronize()
        return event_us(torch, g.replay, iters, reps)
    except Exception as e:  # e.g. an op that cannot be captured
        print(f"  (CUDA graph capture failed: {type(e).__name__}: {str(e)[:120]})")
        torch.cuda.synchronize()
        return None


def both(torch, fn, iters):
    """(eager us, CUDA-graph us or None)."""
    return timeit(torch, fn, iters), timeit_graph(torch, fn, iters)


def lm_logits(torch, rows, V, gen):
    """Zipf-shaped tops under noise, ranks shuffled per row (as kernel_check's lm_logits)."""
    ranks = torch.argsort(torch.rand(rows, V, generator=gen, device="cuda"), dim=-1)
    noise = torch.randn(rows, V, generator=gen, device="cuda") * 0.3
    return 8.0 - 1.5 * torch.log1p(ranks.float()) + noise


def run_baselines(out_dir):
    import torch

    dev = torch.device("cuda")
    gen = torch.Generator(device="cuda")
    gen.manual_seed(1)
    rows = []

    n = 512 << 20
    a = torch.empty(n, dtype=torch.uint8, device=dev).fill_(1)
    b = torch.empty_like(a)
    us = timeit(torch, lambda i: b.copy_(a), 10)
    bw = 2.0 * n / (us * 1e-6) / 1e9
    del a, b
    print(f"torch device-to-device copy: {bw:.0f} GB/s")

    def chain_filtered(x, t, k, p):
        xf = x.float()
        lp_all = torch.log_softmax(xf, -1)
        s, idx = torch.sort(xf / t[:, None], dim=-1, descending=True)
        probs = torch.softmax(s, -1)
        ar = torch.arange(x.shape[1], device=x.device)
        probs = probs.masked_fill(ar[None, :] >= k[:, None], 0.0)
        probs = probs / probs.sum(-1, keepdim=True)
        cum = torch.cumsum(probs, -1)
        probs = probs.masked_fill((cum - probs) >= p[:, None], 0.0)
        choice = torch.multinomial(probs, 1)
        tok = idx.gather(-1, choice)
        return tok, lp_all.gather(-1, tok)

    def chain_plain(x, t):
        xf = x.float()
        lp_all = torch.log_softmax(xf, -1)
        tok = torch.multinomial(torch.softmax(xf / t[:, None], -1), 1)
        return tok, lp_all.gather(-1, tok)

    def chain_greedy(x):
        xf = x.float()
        tok = xf.argmax(-1, keepdim=True)
        return tok, torch.log_softmax(xf, -1).gather(-1, tok)

    for V in (32000, 128256):
        pool = lm_logits(torch, 64, V, gen)
        for B in (1, 32, 128, 512):
            for dtype in ("fp32", "bf16"):
                es = 2 if dtype == "bf16" else 4
                set_bytes = B * V * es
                sets = max(1, min(16, (256 << 20) // set_bytes))
                xs = []
                for s in range(sets):
                    idx = (torch.arange(B, device=dev) + s * 7) % 64
                    x = pool[idx]
                    xs.append(x.to(torch.bfloat16) if dtype == "bf16" else x.contiguous())
                iters = max(3, min(100, int(2e8 // set_bytes)))
                for mode in ("plain", "topk_topp", "greedy"):
                    t = torch.full((B,), 0.7 if mode == "topk_topp" else 1.0, device=dev)
                    k = torch.full((B,), 50, device=dev, dtype=torch.long)
                    p = torch.full((B,), 0.9, device=dev)
                    if mode == "topk_topp":
                        fn = lambda i: chain_filtered(xs[i % sets], t, k, p)
                    elif mode == "plain":
                        fn = lambda i: chain_plain(xs[i % sets], t)
                    else:
                        fn = lambda i: chain_greedy(xs[i % sets])
                    us, gus = both(torch, fn, iters)
                    rows.append(dict(kind="sampling", B=B, V=V, dtype=dtype, mode=mode, torch_us=us, torch_graph_us=gus))
                    print(f"sampling B={B} V={V} {dtype} {mode}: torch chain {us:.1f} us (graph {gus})")
                del xs
        del pool

    for P in (512, 4096):
        for K in (8, 16, 64):
            for kl in (0, 1):
                sets = 8
                r = [torch.randn(P, K, device=dev) for _ in range(sets)]
                lp = [torch.randn(P, K, device=dev) for _ in range(sets)]
                lr = [torch.randn(P, K, device=dev) for _ in range(sets)]
                if kl:
                    fn = lambda i: torch.topk(r[i % sets] - 0.1 * (lp[i % sets] - lr[i % sets]), 1, dim=1)
                else:
                    fn = lambda i: torch.topk(r[i % sets], 1, dim=1)
                us, gus = both(torch, fn, 200)
                rows.append(dict(kind="segmented_topk", P=P, K=K, m=1, kl=kl, torch_us=us, torch_graph_us=gus))
                print(f"segmented top-1 P={P} K={K} kl={kl}: torch.topk {us:.1f} us (graph {gus})")
    for kl in (0, 1):
        N, k = 65536, 2048
        r, lp, lr = (torch.randn(N, device=dev) for _ in range(3))
        fn = (lambda i: torch.topk(r - 0.1 * (lp - lr), k)) if kl else (lambda i: torch.topk(r, k))
        us, gus = both(torch, fn, 50)
        rows.append(dict(kind="global_topk", N=N, k=k, kl=kl, torch_us=us, torch_graph_us=gus))
        print(f"global top-k N={N} k={k} kl={kl}: torch.topk {us:.1f} us")

    for B in (64, 512):
        for dtype in ("fp32", "bf16"):
            T, H = 256, 4096
            dt = torch.bfloat16 if dtype == "bf16" else torch.float32
            h = torch.full((B, T, H), 0.0115, device=dev, dtype=dt)
            w = torch.full((1, H), 0.0115, device=dev, dtype=dt)
            bias = torch.zeros(1, device=dev, dtype=dt)
            last = (torch.arange(B, device=dev) * 37) % T
            flat_idx = torch.arange(B, device=dev) * T + last
            fn = lambda i: torch.nn.functional.linear(h.view(B * T, H).index_select(0, flat_idx), w, bias).float()
            us, gus = both(torch, fn, 200)
            rows.append(dict(kind="reward_head", B=B, T=T, H=H, dtype=dtype, torch_us=us, torch_graph_us=gus))
            print(f"reward head B={B} {dtype}: index_select + linear {us:.1f} us")
            del h

    res = dict(torch=torch.__version__, device=torch.cuda.get_device_name(0), copy_GBps=bw, bench=rows)
    path = os.path.join(out_dir, "torch_baseline.json")
    with open(path + ".tmp", "w") as f:
        json.dump(res, f, indent=1)
    os.replace(path + ".tmp", path)


def key(r):
    k = r["kind"]
    if k == "sampling":
        return (k, r["B"], r["V"], r["dtype"], r["mode"])
    if k == "segmented_topk":
        return (k, r["P"], r["K"], r["m"], r["kl"])
    if k == "global_topk":
        return (k, r["N"], r["k"], r["kl"])
    return (k, r["B"], r["dtype"])


def report(out_dir):
    kc = json.load(open(os.path.join(out_dir, "kernel_check.json")))
    tb_path = os.path.join(out_dir, "torch_baseline.json")
    tb = json.load(open(tb_path)) if os.path.exists(tb_path) else dict(bench=[], torch="-", copy_GBps=0)
    tmap = {key(r): r["torch_us"] for r in tb["bench"]}
    gmap = {key(r): r.get("torch_graph_us") for r in tb["bench"]}

    def graph_speedup(r):
        g = gmap.get(key(r))
        return g / r["us"] if g else float("nan")

    failed = [c for c in kc["checks"] if not c["pass"]]
    print(f"\n=== raftj kernels on {kc['device']} ({kc['sms']} SMs); copy {kc['copy_GBps']:.0f} GB/s "
          f"(torch {tb['torch']}: {tb['copy_GBps']:.0f} GB/s)")
    print(f"checks: {len(kc['checks']) - len(failed)} passed, {len(failed)} failed")
    for c in failed:
        print(f"  FAIL {c['name']}: {c['detail']}")
    out = []
    print("\nsampling (floor = one read of the logits; floor4 = the issue's 4*B*V bytes; targets: B>=32 "
          "within 3x floor4, filtered >= 5x faster than the torch chain; splits = blocks per row chosen by "
          "raftj_sample_splits, 1/row us = one block per row in the same run; x graph = speedup over the "
          "torch chain captured in a CUDA graph, a stricter baseline)")
    print(f"{'B':>4} {'V':>7} {'dtype':>5} {'mode':>9} {'splits':>6} {'us':>9} {'x floor':>8} {'x floor4':>8} "
          f"{'torch us':>9} {'speedup':>8} {'x graph':>8} {'1/row us':>9}  target")
    samp = [r for r in kc["bench"] if r["kind"] == "sampling"]
    # One block per row, timed beside the split path the dispatcher chose (kernel_check's "chosen": false rows).
    per_row = {key(r): r["us"] for r in samp if not r.get("chosen", True)}
    for r in samp:
        if not r.get("chosen", True):
            continue
        t = tmap.get(key(r))
        xf, xf4 = r["us"] / r["floor_us"], r["us"] / r["floor4_us"]
        sp = t / r["us"] if t else float("nan")
        verdict = ""
        if r["B"] >= 32 and r["mode"] != "greedy":
            ok = xf4 <= 3 and (r["mode"] != "topk_topp" or sp >= 5)
            verdict = "ok" if ok else "MISS"
        l2 = " (L2)" if r.get("l2_resident") else ""
        pr = per_row.get(key(r), float("nan"))
        print(f"{r['B']:>4} {r['V']:>7} {r['dtype']:>5} {r['mode']:>9} {r.get('splits', 1):>6} {r['us']:>9.1f} {xf:>8.2f} "
              f"{xf4:>8.2f} {t if t else float('nan'):>9.1f} {sp:>8.1f} {graph_speedup(r):>8.1f} {pr:>9.1f}  {verdict}{l2}")
        out.append(dict(r, torch_us=t, x_floor=xf, x_floor4=xf4, speedup=sp, torch_graph_us=gmap.get(key(r)),
                        speedup_vs_graph=graph_speedup(r), one_block_per_row_us=per_row.get(key(r)), verdict=verdict))
    print("\nsegmented top-1 (target: >= 5x faster than torch.topk at P=4096, K=16)")
    print(f"{'P':>5} {'K':>4} {'KL':>3} {'us':>8} {'torch us':>9} {'speedup':>8} {'x graph':>8}")
    for r in kc["bench"]:
        if r["kind"] not in ("segmented_topk", "global_topk"):
            continue
        t = tmap.get(key(r))
        sp = t / r["us"] if t else float("nan")
        if r["kind"] == "global_topk":
            print(f"global N={r['N']} k={r['k']} KL={r['kl']}: {r['us']:.1f} us, torch.topk {t or float('nan'):.1f} us, "
                  f"speedup {sp:.1f} (x graph {graph_speedup(r):.1f})")
        else:
            tgt = ("ok" if sp >= 5 else "MISS") if (r["P"] == 4096 and r["K"] == 16) else ""
            print(f"{r['P']:>5} {r['K']:>4} {r['kl']:>3} {r['us']:>8.2f} {t or float('nan'):>9.2f} {sp:>8.1f} "
                  f"{graph_speedup(r):>8.1f}  {tgt}")
        out.append(dict(r, torch_us=t, speedup=sp, torch_graph_us=gmap.get(key(r)), speedup_vs_graph=graph_speedup(r)))
    print("\nreward head (T=256, H=4096) vs index_select + linear")
    for r in kc["bench"]:
        if r["kind"] != "reward_head":
            continue
        t = tmap.get(key(r))
        sp = t / r["us"] if t else float("nan")
        print(f"B={r['B']:>4} {r['dtype']}: {r['us']:.2f} us (floor {r['floor_us']:.2f}), torch {t or float('nan'):.2f} us, "
              f"speedup {sp:.1f} (x graph {graph_speedup(r):.1f})")
        out.append(dict(r, torch_us=t, speedup=sp, torch_graph_us=gmap.get(key(r)), speedup_vs_graph=graph_speedup(r)))
    e2e = {}
    for k in ("cuda", "torch"):
        f = os.path.join(out_dir, f"e2e-{k}-summary.json")
        if os.path.exists(f):
            e2e[k] = json.load(open(f))
    if e2e:
        print("\nend to end: raftj align --task arith --device cuda (RAFT, 15 stages x 64 prompts x 8 samples)")
        print(f"{'kernels':>8} {'wall s':>8} {'generate s':>11} {'reward s':>9} {'select s':>9} {'train s':>8} "
              f"{'eval base':>9} {'eval final':>10}")
        for k, r in e2e.items():
            t = r.get("time", {})
            print(f"{k:>8} {r['seconds']:>8.2f} {t.get('generate', float('nan')):>11.2f} {t.get('reward', float('nan')):>9.2f} "
                  f"{t.get('select', float('nan')):>9.3f} {t.get('train', float('nan')):>8.2f} {r['eval_reward_base']:>9.3f} "
                  f"{r['eval_reward_final']:>10.3f}")
    path = os.path.join(out_dir, "report.json")
    with open(path + ".tmp", "w") as f:
        json.dump(dict(device=kc["device"], copy_GBps=kc["copy_GBps"], torch=tb["torch"],
                       failed_checks=failed, rows=out, end_to_end=e2e), f, indent=1)
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="time the torch baselines, write DIR/torch_baseline.json")
    ap.add_argument("--report", help="print the ratio table from DIR")
    a = ap.parse_args()
    if a.out:
        run_baselines(a.out)
    if a.report:
        report(a.report)
    if not (a.out or a.report):
        ap.print_help()
        sys.exit(2)


if __name__ == "__main__":
    main()
